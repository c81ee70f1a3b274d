package collector

import (
	"fmt"
	"io/fs"
	"path"

	"github.com/fromscratch/fromscratch/elfscan"
)

// A TracedFile is a path that a run of the program used, as a tracer saw
// it, and why it is needed: the reason the plan gives for it.
type TracedFile struct {
	// Path is absolute, as the program named it: the symlinks on the way
	// are kept as symlinks in the plan.
	Path string
	// Reason says who used it: "opened by pid 12 (python3)". Empty is
	// "traced".
	Reason string
	// Rule is the rule of the reason: RuleTrace when empty; check.Fix
	// gives RuleCheck.
	Rule Rule
	// StatOnly says that the run only looked the file up (stat) and
	// never opened or executed it: it is copied, as its existence, size
	// or time may matter (Python checks a module's source against its
	// bytecode that way), but an ELF file brings no closure, as the run
	// did not load it.
	StatOnly bool
}

// WithTraced adds the paths a traced run used, each with its reason:
// files at their paths like WithAdd, ELF files among them with their
// closures (unless StatOnly), and directories (listed, or opened as
// directories) as directories only, so that a program that lists
// /usr/lib/python3.11 finds it, but does not bring the whole tree: the
// files it used in it are among the traced files themselves.
//
// Secrets are left out, each with a warning naming it: the well-known
// places of credentials (secretFiles: the shadow password files, which a
// program run as root reads while it looks a user up; docker's and
// podman's registry credentials; AWS, Google Cloud, Azure and Kubernetes
// configuration; SSH and GnuPG private keys; .netrc, .pgpass,
// .git-credentials…), and everything in the home directory of the user
// running the collector ($HOME, and $SUDO_USER's), where a traced run
// reads dot files that belong to that user, not to the image. They would
// put the tracing machine's secrets into the image. WithAdd adds any of
// them, and a program given to Collect is never left out.
//
// The run showed what the loader really loaded, so a library that the
// closure of a traced ELF file would miss is a warning, never a missing
// library of the plan: either the run loaded it from elsewhere (through
// the RUNPATH of the object that dlopened it, say), or the file was only
// read and never loaded.
//
// The collector does not import the tracer; with trace:
//
//	res, err := trace.Run(ctx, argv, nil)
//	...
//	var files []collector.TracedFile
//	for _, p := range res.Files() {
//		files = append(files, collector.TracedFile{Path: p, Reason: "traced"})
//	}
//	plan, err := collector.Collect(argv[:1], collector.WithTraced(files...))
//
// Better reasons, and StatOnly, come from Result.Accesses: the fromscratch
// command names, for each file, the first process that executed it, else
// listed, opened or (StatOnly) only stat'ed it: "executed by pid 12 (sh)".
func WithTraced(files ...TracedFile) Option {
	return func(c *config) error {
		for _, f := range files {
			if !path.IsAbs(f.Path) {
				return fmt.Errorf("traced path %q is not absolute", f.Path)
			}
		}
		c.traced = append(c.traced, files...)
		return nil
	}
}

// addTraced adds the files of WithTraced. A path that cannot be added (it
// is gone, it is a socket…) is a warning: the run used it, the image may
// not need it.
func (c *collection) addTraced(files []TracedFile) error {
	type elf struct {
		path   string
		reason Reason
	}
	var elfs []elf
	homes := invokingHomes()
	for _, f := range files {
		p := elfscan.Clean(f.Path)
		reason := Reason{Rule: RuleTrace, Evidence: f.Reason}
		if f.Rule != "" {
			reason.Rule = f.Rule
		}
		if f.Reason == "" {
			reason.Evidence = "traced"
		}
		real, links, err := c.root.Resolve(p)
		why := privateReason(p, homes)
		if why == "" && err == nil {
			why = privateReason(real, homes)
		}
		if why != "" {
			if c.entries[p] == nil && (err != nil || c.entries[real] == nil) {
				// Not there already by WithAdd or as a program.
				c.warn(WarnLeftOut, p, "traced %s (%s) left out: %s (add it with WithAdd if the image needs it)", p, reason, why)
			}
			continue
		}
		if err != nil {
			c.warn(WarnNotAdded, p, "traced %s (%s): %v", p, reason, err)
			continue
		}
		st, err := c.root.Lstat(real)
		if err != nil {
			c.warn(WarnNotAdded, p, "traced %s (%s): %v", p, reason, err)
			continue
		}
		if !st.IsDir() {
			var found []string
			if err := c.addPathFound(p, reason, true, &found); err != nil {
				c.warn(WarnNotAdded, p, "traced %s (%s): %v", p, reason, err)
			}
			if !f.StatOnly {
				for _, e := range found {
					elfs = append(elfs, elf{e, reason})
				}
			}
			continue
		}
		if c.isExcluded(p) || c.isExcluded(real) {
			continue
		}
		if err := c.addLinks(links, p, reason); err != nil {
			return err
		}
		e := &Entry{Path: real, Kind: Dir, Mode: fs.ModeDir | st.Mode().Perm() | st.Mode()&fs.ModeSticky}
		if err := c.addEntry(e, reason, true); err != nil {
			return err
		}
	}

	// The names the run loaded: a library a traced closure misses is not
	// missing if the run found it.
	loaded := map[string]bool{}
	for _, f := range files {
		loaded[path.Base(f.Path)] = true
	}
	for _, e := range elfs {
		if c.planned(e.path) {
			continue // in a closure already, with its libraries
		}
		if err := c.resolveTraced(e.path, e.reason, loaded); err != nil {
			return err
		}
	}
	return nil
}

// planned reports whether the ELF file p (a real path) is an object of a
// closure of the plan already.
func (c *collection) planned(p string) bool {
	if _, ok := c.objects[p]; ok {
		return true
	}
	for _, o := range c.order {
		if o.RealPath == p {
			return true
		}
	}
	return false
}

// resolveTraced brings the closure of a traced ELF file. Its missing
// libraries are warnings only, and none at all for the names the run
// loaded.
func (c *collection) resolveTraced(p string, reason Reason, loaded map[string]bool) error {
	f, err := elfscan.Open(c.root, p)
	if err != nil {
		c.warn(WarnNotAdded, p, "traced %s (%s): not read as ELF: %v", p, reason, err)
		return nil
	}
	switch f.Kind {
	case elfscan.KindDynamic, elfscan.KindShared:
	default:
		return nil // runs alone, or is not loaded by the loader at all
	}
	g, err := c.res.Resolve(p)
	if err != nil {
		c.warn(WarnNotAdded, p, "traced %s (%s): closure not resolved: %v", p, reason, err)
		return nil
	}
	for _, cl := range g.Closures {
		for _, m := range cl.Missing {
			if loaded[path.Base(m.Name)] {
				continue
			}
			what := "not found"
			if m.Reason != "" {
				what = "not loadable: " + m.Path + ": " + m.Reason
			}
			c.warn(WarnMissingLibrary, p, "%s %s: %s, traced (%s); the traced run did not load it", m.Name, what, neededByChain(m.By, ""), reason)
		}
		cl.Missing = nil
	}
	return c.addGraph(g, map[string][]Reason{p: {reason}}, map[string]bool{p: true})
}
