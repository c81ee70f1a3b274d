package elfscan

import "strings"

// Dynamic string tokens ($ORIGIN, $LIB, $PLATFORM) in RPATH, RUNPATH,
// LD_LIBRARY_PATH and DT_NEEDED, as each loader substitutes them.

// dstValues are what glibc substitutes for its tokens. An empty value is an
// unknown one (no AT_PLATFORM on RISC-V, say): glibc then drops the whole
// path element, as _dl_dst_substitute does.
type dstValues struct {
	origin   string // directory of the object holding the string
	platform string
	lib      string
}

// glibcDSTName reports whether s (just after a '$') starts with the token
// ref, in the forms "REF" (not followed by an identifier character) or
// "{REF}", and returns the length to skip, as glibc's is_dst.
func glibcDSTName(s, ref string) int {
	curly := strings.HasPrefix(s, "{")
	if curly {
		s = s[1:]
	}
	if !strings.HasPrefix(s, ref) {
		return 0
	}
	rest := s[len(ref):]
	if curly {
		if !strings.HasPrefix(rest, "}") {
			return 0
		}
		return len(ref) + 2
	}
	if rest != "" && isIdentChar(rest[0]) {
		return 0
	}
	return len(ref)
}

func isIdentChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
}

// hasGlibcDST reports whether s holds a token glibc knows.
func hasGlibcDST(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			continue
		}
		rest := s[i+1:]
		if glibcDSTName(rest, "ORIGIN") > 0 || glibcDSTName(rest, "PLATFORM") > 0 || glibcDSTName(rest, "LIB") > 0 {
			return true
		}
	}
	return false
}

// expandGlibc substitutes glibc's tokens in s. A '$' that starts no known
// token is kept as it is (glibc copies it); ok is false when a known token
// has no value, and the caller drops the element.
func expandGlibc(s string, v dstValues) (out string, ok bool) {
	if !strings.Contains(s, "$") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '$' {
			b.WriteByte(s[i])
			i++
			continue
		}
		rest := s[i+1:]
		var repl string
		n := 0
		if n = glibcDSTName(rest, "ORIGIN"); n > 0 {
			repl = v.origin
		} else if n = glibcDSTName(rest, "PLATFORM"); n > 0 {
			repl = v.platform
		} else if n = glibcDSTName(rest, "LIB"); n > 0 {
			repl = v.lib
		}
		switch {
		case n == 0:
			b.WriteByte('$')
			i++
		case repl == "":
			return "", false
		default:
			b.WriteString(repl)
			i += 1 + n
		}
	}
	return b.String(), true
}

// expandMusl substitutes $ORIGIN and ${ORIGIN}, the only tokens musl knows,
// in a whole RPATH/RUNPATH string. Any other '$' makes musl ignore the
// whole string (fixup_rpath): ok is false then.
func expandMusl(s, origin string) (out string, ok bool) {
	if !strings.Contains(s, "$") {
		return s, true
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:i])
		t := s[i:]
		switch {
		case strings.HasPrefix(t, "${ORIGIN}"):
			s = t[len("${ORIGIN}"):]
		case strings.HasPrefix(t, "$ORIGIN"):
			// musl compares a prefix only: "$ORIGINAL" is "$ORIGIN" + "AL".
			s = t[len("$ORIGIN"):]
		default:
			return "", false
		}
		b.WriteString(origin)
	}
}
