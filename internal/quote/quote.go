package quote

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Name returns s unchanged when it is valid UTF-8 made of printable
// characters (spaces included) without '"' or '\', else s as a Go
// string literal: "a\nb", "\x1b[31m", "caf\xe9". The quoted form is
// lossless (strconv.Unquote gives s back) and a plain name never starts
// with '"', so the two cannot be confused.
func Name(s string) string {
	if !Needed(s) {
		return s
	}
	return strconv.Quote(s)
}

// Needed reports whether Name quotes s.
func Needed(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if r == '"' || r == '\\' || !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}

// Names is Name of each of names, joined by sep.
func Names(names []string, sep string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = Name(n)
	}
	return strings.Join(q, sep)
}
