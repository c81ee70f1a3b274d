package collector

import (
	"strings"
)

// Collect plans the root filesystem in which the programs roots (paths
// inside the root, ELF files or "#!" scripts) run: each program, its
// interpreter and libraries at the paths the loader opens, the symlinks on
// the way, and what the rules find that the loader does not show.
//
// A library the loader cannot find is an error, a *MissingError, unless
// WithAllowMissing: then Plan.Missing lists it. What else the user should
// know is in Plan.Warnings. A program that cannot be read, is neither ELF
// nor a script, or whose script interpreter is missing, is an error.
func Collect(roots []string, opts ...Option) (*Plan, error) {
	plan, err := collect(roots, opts...)
	if err != nil {
		return nil, prefixed(err)
	}
	return plan, nil
}

// packagePrefixes are the prefixes of this module's packages' errors: an
// error that has one already is not prefixed again.
var packagePrefixes = [...]string{"collector: ", "elfscan: ", "image: ", "trace: "}

// prefixed makes err read "collector: …", as archive/tar's errors read
// "archive/tar: …"; errors.Is and errors.As see through it.
func prefixed(err error) error {
	for _, p := range packagePrefixes {
		if strings.HasPrefix(err.Error(), p) {
			return err
		}
	}
	return &prefixError{err}
}

type prefixError struct{ err error }

func (e *prefixError) Error() string { return "collector: " + e.err.Error() }
func (e *prefixError) Unwrap() error { return e.err }
