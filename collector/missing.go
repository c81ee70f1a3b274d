package collector

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan"
)

// WithAllowMissing makes Collect return a plan even when the loader would
// not find some library: the image would not start, so without this
// option that is an error (a *MissingError). Plan.Missing lists them.
func WithAllowMissing() Option {
	return func(c *config) error {
		c.allowMissing = true
		return nil
	}
}

// A MissingError is Collect's error when the loader would not find a
// library of the plan and WithAllowMissing was not given.
type MissingError struct {
	Missing []elfscan.Missing // each with the chain of objects that needs it
}

// Error names the first few missing libraries with their chains.
func (e *MissingError) Error() string {
	const most = 3
	var lines []string
	for i, m := range e.Missing {
		if i == most {
			lines = append(lines, fmt.Sprintf("and %d more", len(e.Missing)-most))
			break
		}
		lines = append(lines, m.String())
	}
	n := len(e.Missing)
	return fmt.Sprintf("collector: the loader would not find %d librar%s: %s; nothing planned (WithAllowMissing plans it anyway)",
		n, map[bool]string{true: "y", false: "ies"}[n == 1], strings.Join(lines, "; "))
}

// checkMissing is Collect's last word: a plan whose programs cannot start
// is an error unless the caller allowed it.
func checkMissing(cfg *config, p *Plan) error {
	if cfg.allowMissing {
		return nil
	}
	if m := p.Missing(); len(m) > 0 {
		return &MissingError{Missing: m}
	}
	return nil
}

// Missing returns what the loader would not find, in every closure of the
// plan: the programs', and those of what options and rules added.
func (p *Plan) Missing() []elfscan.Missing {
	if p.Graph == nil {
		return nil
	}
	return p.Graph.Missing()
}

// Loader returns the loader's answer for the programs: the closures of the
// Executables, in their order, as ldd would show them. Plan.Graph also
// holds the closures of what options and rules added.
func (p *Plan) Loader() *elfscan.Graph {
	g := &elfscan.Graph{}
	if p.Graph == nil {
		return g
	}
	g.Root = p.Graph.Root
	byRoot := make(map[string]*elfscan.Closure, len(p.Graph.Closures))
	for _, c := range p.Graph.Closures {
		if _, ok := byRoot[c.Root.Path]; !ok {
			byRoot[c.Root.Path] = c // the first, as a search would find
		}
	}
	for _, path := range p.Executables {
		if c := byRoot[path]; c != nil {
			g.Closures = append(g.Closures, c)
		}
	}
	return g
}

// Extras returns the entries that the loader's closures of the programs
// (Loader) do not account for: what options and rules add, NSS and gconv
// modules, certificates, /etc/passwd, /tmp… Plain parent directories are
// left out, and so are the directories of a tree added whole, whose top
// has the same reasons; a directory a rule added for itself (a package's
// data directory, a service user's home) is in.
func (p *Plan) Extras() []Entry {
	loader := map[string]bool{}
	for _, o := range p.Loader().Objects() {
		loader[o.Path], loader[o.RealPath] = true, true
		for _, l := range o.Links {
			loader[l.Path] = true
		}
	}
	why := map[string]string{}
	var out []Entry
	for _, e := range p.Entries {
		why[e.Path] = strings.Join(Texts(e.Reasons), "; ")
		if e.Kind == Dir && e.Mode&fs.ModeSticky == 0 && (len(e.Reasons) == 0 || why[path.Dir(e.Path)] == why[e.Path]) || loader[e.Path] {
			continue
		}
		out = append(out, e)
	}
	return out
}
