package quote

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Name returns s unchanged when it is safe to print (Unsafe is false) and
// does not start with '"', else s as a Go string literal: "a\nb",
// "\x1b[31m", "caf\xe9". The quoted form is lossless (strconv.Unquote
// gives s back), and since a name shown as it is never starts with '"',
// the two forms cannot be confused.
func Name(s string) string {
	if !Needed(s) {
		return s
	}
	return strconv.Quote(s)
}

// Needed reports whether Name quotes s.
func Needed(s string) bool {
	return Unsafe(s) || strings.HasPrefix(s, `"`)
}

// Unsafe reports whether s, printed as it is, could forge a line or
// drive a terminal (a control character: newline, escape…) or is not
// UTF-8 (what a terminal shows is then not the name).
func Unsafe(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			return true
		}
	}
	return false
}

// Words quotes, in a line of text made of words (an error message), each
// word that is Unsafe: the rest of the message stays as it was written,
// its quotes included.
func Words(line string) string {
	words := strings.Fields(line)
	for i, w := range words {
		if Unsafe(w) {
			words[i] = Name(w)
		}
	}
	return strings.Join(words, " ")
}

// Names is Name of each of names, joined by sep.
func Names(names []string, sep string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = Name(n)
	}
	return strings.Join(q, sep)
}
