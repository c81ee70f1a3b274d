package collector

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan"
)

// A rule adds what the loader does not show: files a program opens, or
// libraries it dlopens, at run time. Each rule looks for evidence in the
// closures (an imported symbol, a library) and adds entries whose reasons
// name that evidence. Rules that add libraries bring their closures, which
// may be evidence for another rule, so the rules run until nothing new
// comes in.
type rule struct {
	name string
	run  func(c *collection) error
}

// rules are the automatic rules, in order. WithNoAuto turns them all off.
var rules = []rule{
	{"nss", ruleNSS},
	{"resolver", ruleResolver},
	{"conffiles", ruleConffiles},
	{"package-data", rulePackageData},
	{"start-dirs", ruleStartDirs},
	{"dlopen-notes", ruleDlopenNotes},
	{"tmp", ruleTmp},
	{"gconv", ruleGconv},
	// locales after gconv, whose configuration it adds too: iconv's
	// reason comes first.
	{"locales", ruleLocales},
	{"libgcc_s", ruleLibgcc},
	{"certificates", ruleCertificates},
	// users last: it names the owners of what the others add.
	{"users", ruleUsers},
}

func (c *collection) runRules() error {
	c.inRules = true
	defer func() { c.inRules = false }()
	for round := 0; round < 8; round++ {
		n, m := len(c.order), len(c.entries)
		for _, r := range rules {
			if err := r.run(c); err != nil {
				return fmt.Errorf("rule %s: %w", r.name, err)
			}
		}
		if len(c.order) == n && len(c.entries) == m {
			return nil
		}
	}
	return nil
}

// importers returns the objects that import any of syms, in closure order.
func (c *collection) importers(syms ...string) []*elfscan.Object {
	return c.importersOf(syms)
}

// firstImport returns the first of syms that objs import, for reasons.
func firstImport(objs []*elfscan.Object, syms []string) string {
	for _, o := range objs {
		for _, s := range syms {
			if o.File.ImportsSymbol(s) {
				return s
			}
		}
	}
	return ""
}

// evidence is "getpwuid imported by ls, id".
func evidence(objs []*elfscan.Object, syms []string) string {
	return firstImport(objs, syms) + " imported by " + describe(objs)
}

// library returns the first object of the closures whose SONAME (or file
// name) matches one of the glob patterns.
func (c *collection) library(patterns ...string) *elfscan.Object {
	for _, o := range c.order {
		name := path.Base(o.Path)
		if o.File != nil && o.File.Soname != "" {
			name = o.File.Soname
		}
		for _, p := range patterns {
			if ok, _ := path.Match(p, name); ok {
				return o
			}
		}
	}
	return nil
}

// glibc returns glibc's libc.so.6 when a closure has it.
func (c *collection) glibc() *elfscan.Object {
	return c.library("libc.so.6")
}

// addLibrary adds a library that glibc dlopens itself (NSS modules,
// libgcc_s): a name is found as dlopen by libc.so.6 finds it, a path is
// taken as it is. It reports whether the library was found.
func (c *collection) addLibrary(name string, reason Reason) (bool, error) {
	p := name
	if !strings.Contains(name, "/") {
		libc := c.glibc()
		if libc == nil {
			return false, nil
		}
		cl, err := c.dlopenBy(libc, name)
		if err != nil {
			return false, err
		}
		o := dlopened(cl, name)
		if o == nil {
			return false, nil
		}
		p = o.Path
	}
	if _, ok := c.objects[p]; ok {
		return true, c.addPath(p, reason, true)
	}
	if err := c.resolve([]string{p}, map[string][]Reason{p: {reason}}, nil); err != nil {
		// A module the loader would fail on at run time too (corrupt,
		// another machine's): the program goes on without it.
		c.warn(WarnNotAdded, p, "%s (%s): not added: %v", p, reason, err)
	}
	return true, nil
}

// addDlopen is WithDlopen's NAME or PATH: the file that dlopen(NAME) by
// the first program would load, as the resolver emulates the call (its
// RPATH/RUNPATH, the cache, the default directories; a library already
// loaded is reused), with its closure.
func (c *collection) addDlopen(name string) error {
	prog := c.firstProgram()
	if prog == nil {
		return fmt.Errorf("WithDlopen(%s): no program to dlopen it", name)
	}
	if k := prog.File.Kind; k == elfscan.KindStatic || k == elfscan.KindStaticPIE {
		return fmt.Errorf("WithDlopen(%s): %s is static: it loads no libraries", name, prog.Path)
	}
	cl, err := c.dlopenBy(prog, name)
	if err != nil {
		return fmt.Errorf("WithDlopen(%s): %w", name, err)
	}
	for _, m := range cl.Missing {
		if m.Name == name && m.By == cl.Root {
			why := "not found where dlopen by " + prog.Path + " looks (its RPATH and RUNPATH, ld.so.cache, the default directories)"
			if m.Reason != "" {
				why = m.Path + ": " + m.Reason
			}
			return fmt.Errorf("WithDlopen(%s): %s", name, why)
		}
	}
	o := dlopened(cl, name)
	if o == nil {
		return fmt.Errorf("WithDlopen(%s): the loader's answer names no object", name)
	}
	if _, ok := c.objects[o.Path]; ok {
		return c.addPath(o.Path, Reason{Rule: RuleDlopen, Requester: prog.Path, Evidence: name + " (already loaded by " + prog.Path + ")"}, true)
	}
	why := Reason{Rule: RuleDlopen, Requester: prog.Path, Evidence: fmt.Sprintf("%s (dlopen by %s, %s)", name, prog.Path, o.Step)}
	return c.resolve([]string{o.Path}, map[string][]Reason{o.Path: {why}}, nil)
}

// dlopenBy emulates dlopen(name) called by the object by: in the closure
// that loaded by, whose search rules (its RPATH chain) apply.
func (c *collection) dlopenBy(by *elfscan.Object, name string) (*elfscan.Closure, error) {
	for _, cl := range c.plan.Graph.Closures {
		if !slices.Contains(cl.Objects, by) {
			continue
		}
		call := elfscan.DlopenCall{Name: name}
		if by != cl.Root {
			call.By = by.Path
		}
		return c.res.ResolveDlopen(cl.Root.Path, call)
	}
	return nil, fmt.Errorf("%s is in no closure", by.Path)
}

// firstProgram is the first program given (not --add or --dlopen), or nil.
func (c *collection) firstProgram() *elfscan.Object {
	for _, o := range c.order {
		if o.Parent == nil && o.File != nil && c.programELF[o.Path] {
			return o
		}
	}
	return nil
}

// dlopened is the object a dlopen of name loaded, or the loaded one it
// reused.
func dlopened(cl *elfscan.Closure, name string) *elfscan.Object {
	for _, o := range cl.Objects {
		if o.Dlopened && o.Name == name {
			return o
		}
	}
	for _, o := range cl.Objects {
		if o.Name == name || o.Path == name || o.RealPath == name || o.File != nil && o.File.Soname == name {
			return o
		}
	}
	return nil
}

// exists reports whether p is in the root (following symlinks).
func (c *collection) exists(p string) bool {
	_, err := c.root.Stat(p)
	return err == nil
}

// addTZData is WithTZData: the zoneinfo tree, and /etc/localtime if the
// root has one.
func (c *collection) addTZData() error {
	const zoneinfo = "/usr/share/zoneinfo"
	if !c.exists(zoneinfo) {
		return fmt.Errorf("WithTZData: %s is not in the root (install tzdata)", zoneinfo)
	}
	if err := c.addPath(zoneinfo, Reason{Rule: RuleTZData}, false); err != nil {
		return fmt.Errorf("WithTZData: %w", err)
	}
	if _, err := c.root.Lstat("/etc/localtime"); err == nil {
		if err := c.addPath("/etc/localtime", Reason{Rule: RuleTZData, Evidence: "the root's local time zone"}, true); err != nil {
			return fmt.Errorf("WithTZData: %w", err)
		}
	}
	return nil
}

// warnDlopen warns about objects that import dlopen: what they open at
// run time is only in the plan if a rule, --dlopen, --add or a trace put
// it there.
func (c *collection) warnDlopen() {
	objs := slices.DeleteFunc(c.importers("dlopen", "dlmopen"), func(o *elfscan.Object) bool { return c.byRules[o.Path] })
	if len(objs) == 0 {
		return
	}
	c.warn(WarnDlopen, "", "%s may load libraries at run time (they import dlopen): add them with WithDlopen or WithAdd, or find them with WithTraced", describe(objs))
}
