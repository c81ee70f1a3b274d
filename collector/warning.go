package collector

import (
	"fmt"

	"github.com/fromscratch/fromscratch/internal/quote"
)

// A Warning is something the user of a plan should know that did not stop
// Collect: a path left out, a file a rule wanted and the root lacks. Kind
// says which, for callers that act on some and not others; String is the
// text the CLI prints.
type Warning struct {
	Kind WarningKind `json:"kind"`
	// Path is the file of the root the warning is about: the path left
	// out, not added, dropped or excluded; the object whose parts were
	// not read or whose library is missing; the missing gconv module.
	// It is empty where there is no one file (the objects that import
	// dlopen, a missing gconv directory).
	Path string `json:"path,omitempty"`
	// Text is the whole warning, one line, its names quoted where they
	// need it (quote.Name): a file name with a newline cannot forge one.
	Text string `json:"text"`
}

// String is the warning's text.
func (w Warning) String() string { return w.Text }

// A WarningKind says what a Warning is about.
type WarningKind string

// The kinds of warnings.
const (
	// WarnLeftOut: a path a traced run used is left out of the plan as
	// private (a secret, a file of a home directory); WithAdd brings it.
	WarnLeftOut WarningKind = "left-out"
	// WarnNotAdded: a path that an option, a rule or a traced run named
	// is not in the plan, or not with its closure: it is gone, cannot be
	// read, is not ELF where it had to be, is a socket, or its libraries
	// could not be resolved.
	WarnNotAdded WarningKind = "not-added"
	// WarnUnread: part of an ELF object that the rules read (its imports,
	// its dlopen notes) could not be read: the rules went on without it.
	WarnUnread WarningKind = "unread"
	// WarnMissingFile: a file the programs may want at run time is not
	// in the root: the gconv directory or a module of it, libgcc_s.so.1,
	// a CA bundle.
	WarnMissingFile WarningKind = "missing-file"
	// WarnMissingLibrary: a library that may be loaded at run time is
	// not found: one a required dlopen note names, or one the closure of
	// a traced file needs that the traced run did not load. (A library
	// the programs' own closures miss is an error, or Plan.Missing.)
	WarnMissingLibrary WarningKind = "missing-library"
	// WarnDlopen: what some objects load at run time is not known to the
	// plan: they import dlopen, or a dlopen note of theirs has a priority
	// the spec does not know.
	WarnDlopen WarningKind = "dlopen"
	// WarnExcluded: WithExclude keeps out a library the loader needs: the
	// program will not start.
	WarnExcluded WarningKind = "excluded"
	// WarnDropped: something planned is dropped or changed to keep the
	// image sound: a path wanted as two different things (the first is
	// kept), a symlink that climbs above the root or leads nowhere,
	// setuid/setgid bits without WithKeepSetuid.
	WarnDropped WarningKind = "dropped"
	// WarnPackages: the root's dpkg database is absent or partly
	// unreadable: package metadata (WithPackageMetadata) or the files the
	// package rules add may be incomplete.
	WarnPackages WarningKind = "packages"
)

// WarningsOf returns the plan's warnings of the given kinds, in order.
func (p *Plan) WarningsOf(kinds ...WarningKind) []Warning {
	var out []Warning
	for _, w := range p.Warnings {
		for _, k := range kinds {
			if w.Kind == k {
				out = append(out, w)
				break
			}
		}
	}
	return out
}

// warn adds a warning of kind about path p (empty for none) to the plan,
// once. Its string and error arguments are quoted where they need it
// (quote.Name): a file name with a newline or an escape sequence cannot
// forge a line or drive a terminal.
func (c *collection) warn(kind WarningKind, p string, format string, args ...any) {
	for i, a := range args {
		switch v := a.(type) {
		case string:
			args[i] = quote.Name(v)
		case error:
			args[i] = quote.Name(v.Error())
		case fmt.Stringer: // a Reason
			args[i] = quote.Name(v.String())
		}
	}
	w := fmt.Sprintf(format, args...)
	if !c.warned[w] {
		c.warned[w] = true
		c.plan.Warnings = append(c.plan.Warnings, Warning{Kind: kind, Path: p, Text: w})
	}
}
