package ldcache

import (
	"slices"
	"strings"
)

// Limits on what one ParseConf call reads. ldconfig has none (an include
// loop makes it recurse until it runs out of file descriptors); real
// configurations nest two levels and read a few dozen files.
const (
	maxConfDepth = 32   // nested include levels
	maxConfFiles = 1024 // files read in all
)

// ParseConf returns the directories an ld.so.conf file lists, in order, as
// glibc 2.36's ldconfig reads it (parse_conf in elf/ldconfig.c):
//
//   - each line is cut at the first '#' and stripped of leading white space;
//     blank lines are skipped;
//   - "include" followed by a blank, then glob patterns separated by blanks:
//     each pattern's matches are read in byte order, as glob(3) sorts them
//     in the C locale, where '*' and '?' do not match a leading '.'; a
//     relative pattern is relative to the directory of the including file;
//   - "hwcap" (any case) followed by a blank: ignored, as ldconfig does;
//   - any other line is one directory, spaces included: the line up to an
//     optional "=libc6"-style type, without trailing white space, then
//     without trailing slashes ("/" alone is thus no directory).
//     ldconfig does not split lines on spaces, commas or colons.
//
// Directories are listed once each, at their first appearance. ldconfig
// also drops those that do not exist and those that are the same directory
// as one before them (by device and inode, through symlinks): that is left
// to the caller, who can see the filesystem.
//
// The error is that of reading name itself. Included files that cannot be
// read are skipped, as ldconfig skips them; so are include loops, nesting
// deeper than 32 levels and files past the 1024th read.
func ParseConf(fsys FS, name string) ([]string, error) {
	data, err := fsys.ReadFile(name)
	if err != nil {
		return nil, err
	}
	p := &confParser{fsys: fsys, seen: map[string]bool{}, reads: 1}
	p.parse(name, data)
	return p.dirs, nil
}

type confParser struct {
	fsys  FS
	dirs  []string
	seen  map[string]bool
	stack []string // the files being read, outermost first
	reads int
}

// C locale isspace and isblank.
func isSpace(c rune) bool { return c == ' ' || ('\t' <= c && c <= '\r') }
func isBlank(c rune) bool { return c == ' ' || c == '\t' }

func (p *confParser) parse(name string, data []byte) {
	p.stack = append(p.stack, name)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()
	for _, line := range strings.Split(string(data), "\n") {
		// C string functions end the line at a NUL.
		if i := strings.IndexByte(line, 0); i >= 0 {
			line = line[:i]
		}
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		cp := strings.TrimLeftFunc(line, isSpace)
		switch {
		case cp == "":
		case len(cp) > 7 && cp[:7] == "include" && isBlank(rune(cp[7])):
			for _, pattern := range strings.FieldsFunc(cp[8:], isBlank) {
				p.include(name, pattern)
			}
		case len(cp) > 5 && strings.EqualFold(cp[:5], "hwcap") && isBlank(rune(cp[5])):
		default:
			p.addDir(cp)
		}
	}
}

func (p *confParser) addDir(line string) {
	dir, _, _ := strings.Cut(line, "=")
	dir = strings.TrimRightFunc(dir, isSpace)
	dir = strings.TrimRight(dir, "/")
	if dir != "" && !p.seen[dir] {
		p.seen[dir] = true
		p.dirs = append(p.dirs, dir)
	}
}

func (p *confParser) include(from, pattern string) {
	if !strings.HasPrefix(pattern, "/") {
		// ldconfig joins dirname(from) and the pattern; a file named
		// without a slash is in the current directory, "/" here.
		dir := "/"
		if strings.Contains(from, "/") {
			dir = dirname(from)
		}
		pattern = strings.TrimSuffix(dir, "/") + "/" + pattern
	}
	for _, file := range p.glob(pattern) {
		if len(p.stack) >= maxConfDepth || p.reads >= maxConfFiles || slices.Contains(p.stack, file) {
			continue
		}
		p.reads++
		data, err := p.fsys.ReadFile(file)
		if err != nil {
			continue
		}
		p.parse(file, data)
	}
}

// dirname is dirname(3): name without its last component, no cleaning.
func dirname(name string) string {
	name = strings.TrimRight(name, "/")
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return "."
	}
	if d := strings.TrimRight(name[:i], "/"); d != "" {
		return d
	}
	return "/"
}

// glob expands an absolute pattern the way glob(3) with no flags does:
// components without wildcards are taken as they are (after removing
// backslash escapes), the others are matched against the directory's
// entries, and the result is sorted. Paths that do not exist are dropped
// by the caller's read.
func (p *confParser) glob(pattern string) []string {
	paths := []string{"/"}
	for _, comp := range strings.Split(pattern, "/") {
		if comp == "" {
			continue
		}
		var next []string
		if !hasMeta(comp) {
			lit := unescape(comp)
			for _, d := range paths {
				next = append(next, joinPath(d, lit))
			}
		} else {
			for _, d := range paths {
				ents, err := p.fsys.ReadDir(d)
				if err != nil {
					continue
				}
				names := make([]string, 0, len(ents)+2)
				if comp[0] == '.' {
					names = append(names, ".", "..") // readdir lists them; only a literal '.' matches them
				}
				for _, e := range ents {
					names = append(names, e.Name())
				}
				for _, n := range names {
					if fnmatch(comp, n) {
						next = append(next, joinPath(d, n))
					}
				}
			}
		}
		paths = next
		if len(paths) > maxConfFiles {
			paths = paths[:maxConfFiles]
		}
	}
	if len(paths) == 1 && paths[0] == "/" {
		return nil
	}
	slices.Sort(paths)
	return paths
}

func joinPath(dir, name string) string {
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}

// hasMeta reports whether a pattern component has a wildcard: an unescaped
// '*' or '?', or a '[' that a ']' closes.
func hasMeta(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '*', '?':
			return true
		case '[':
			if strings.IndexByte(s[i+1:], ']') >= 0 {
				return true
			}
		}
	}
	return false
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// fnmatch is fnmatch(3) with FNM_PERIOD, in the C locale, for one path
// component: '*', '?', bracket expressions with '!' or '^', ranges and
// [:classes:], and backslash escapes. A leading '.' of the name must be
// matched by a literal '.'. It runs in time proportional to the product of
// the lengths, whatever the pattern.
func fnmatch(pattern, name string) bool {
	if strings.HasPrefix(name, ".") && !strings.HasPrefix(pattern, ".") && !strings.HasPrefix(pattern, `\.`) {
		return false
	}
	pi, si := 0, 0
	starP, starS := -1, 0
	for pi < len(pattern) || si < len(name) {
		if pi < len(pattern) {
			step, ok := 0, false
			switch c := pattern[pi]; c {
			case '*':
				starP, starS = pi, si
				pi++
				continue
			case '?':
				step, ok = 1, si < len(name)
			case '[':
				if si < len(name) {
					if n, matched, valid := bracket(pattern[pi:], name[si]); valid {
						step, ok = n, matched
					} else {
						step, ok = 1, name[si] == '['
					}
				}
			case '\\':
				if pi+1 < len(pattern) {
					step, ok = 2, si < len(name) && name[si] == pattern[pi+1]
				} else {
					step, ok = 1, si < len(name) && name[si] == '\\'
				}
			default:
				step, ok = 1, si < len(name) && name[si] == c
			}
			if ok {
				pi += step
				si++
				continue
			}
		}
		// Mismatch: let the last '*' take one more byte.
		if starP >= 0 && starS < len(name) {
			starS++
			pi, si = starP+1, starS
			continue
		}
		return false
	}
	return true
}

// bracket matches c against the bracket expression at the start of p
// ("[...]"). It returns the length of the expression and whether c matches;
// valid is false when no ']' closes it, and the '[' is then an ordinary
// character.
func bracket(p string, c byte) (n int, matched, valid bool) {
	i := 1
	negate := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		negate = true
		i++
	}
	for first := true; ; first = false {
		if i >= len(p) {
			return 0, false, false
		}
		lo := p[i]
		switch {
		case lo == ']' && !first:
			return i + 1, matched != negate, true
		case lo == '[' && i+1 < len(p) && p[i+1] == ':':
			end := strings.Index(p[i+2:], ":]")
			if end < 0 {
				i++
				if c == '[' {
					matched = true
				}
				continue
			}
			if inClass(p[i+2:i+2+end], c) {
				matched = true
			}
			i += 2 + end + 2
			continue
		case lo == '\\' && i+1 < len(p):
			i++
			lo = p[i]
		}
		i++
		hi := lo
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			i++
			if p[i] == '\\' && i+1 < len(p) {
				i++
			}
			hi = p[i]
			i++
		}
		if lo <= c && c <= hi {
			matched = true
		}
	}
}

// inClass reports whether c is in the C locale character class name.
func inClass(name string, c byte) bool {
	isUpper := 'A' <= c && c <= 'Z'
	isLower := 'a' <= c && c <= 'z'
	isDigit := '0' <= c && c <= '9'
	isPunct := c > ' ' && c < 0x7f && !isUpper && !isLower && !isDigit
	switch name {
	case "alnum":
		return isUpper || isLower || isDigit
	case "alpha":
		return isUpper || isLower
	case "blank":
		return c == ' ' || c == '\t'
	case "cntrl":
		return c < ' ' || c == 0x7f
	case "digit":
		return isDigit
	case "graph":
		return c > ' ' && c < 0x7f
	case "lower":
		return isLower
	case "print":
		return c >= ' ' && c < 0x7f
	case "punct":
		return isPunct
	case "space":
		return c == ' ' || ('\t' <= c && c <= '\r')
	case "upper":
		return isUpper
	case "xdigit":
		return isDigit || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
	}
	return false
}
