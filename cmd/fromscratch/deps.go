package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/elfscan"
)

var depsCommand = &command{
	name:  "deps",
	args:  "[flags] FILE...   or   --trace [flags] PROG [FILE...] -- ARGS...",
	short: "print what the dynamic loader would load for FILE, and why",
	long: `Reads FILE's ELF headers and resolves its libraries as the dynamic loader
would (glibc or musl rules, ld.so.cache, RPATH/RUNPATH, $ORIGIN, hwcaps),
without executing anything. Prints a tree of who needs whom, then what the
program needs at run time that the loader does not show (NSS and gconv
modules, libgcc_s, certificates, passwd…), each with its reason: what
'rootfs' and 'image' would add.

A library that cannot be found is listed on stderr with the chain that needs
it, after everything that was found, and the exit status is 1.`,
	flags: func(fs *pflag.FlagSet) func([]string) error {
		var cf collectFlags
		var list, asJSON, plan bool
		fs.BoolVar(&list, "list", false, "print one absolute path per line: each FILE, its interpreter, then every library in load order, each once")
		fs.BoolVar(&asJSON, "json", false, "print the whole graph, and the run-time extras, as JSON")
		fs.BoolVar(&plan, "plan", false, "print every entry of the root filesystem that rootfs would write, with its reasons")
		cf.register(fs)
		cf.checks.reportOnly = true
		return func([]string) error {
			defer cf.closeFrom()
			if btoi(list)+btoi(asJSON)+btoi(plan) > 1 {
				return usageError{fmt.Errorf("--list, --json and --plan exclude each other")}
			}
			paths, _, err := cf.fileArgs(fs)
			if err != nil {
				return err
			}
			// --list is the loader's answer alone, without the collector's
			// work, unless a FILE is a "#!" script, which only the collector
			// reads. The other forms show what the collector adds too, and
			// take the loader's answer from the plan.
			var p *collector.Plan
			var g *elfscan.Graph
			if list && !cf.trace && !cf.checks.on() {
				g, err = cf.resolve(paths)
				if errors.Is(err, elfscan.ErrNotELF) {
					g, err = nil, nil
				}
				if err != nil {
					return err
				}
			}
			if g == nil {
				// deps shows what is missing: it is not an error here.
				cf.allowMissing = true
				if p, err = cf.plan(fs, errw); err != nil {
					return err
				}
				if g, err = cf.loaderGraph(p); err != nil {
					return err
				}
			}
			switch {
			case plan:
				writePlan(out, p)
			case asJSON:
				err = writeJSON(out, g, extras(p, g))
			case list:
				for _, o := range g.Objects() {
					fmt.Fprintln(out, o.Path)
				}
			default:
				writeTree(out, g)
				writeExtras(out, extras(p, g))
			}
			if err != nil {
				return err
			}
			if p != nil {
				printWarnings(p)
			}
			return reportMissing(g, p)
		}
	},
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// extras are the plan's files and links that the loader's closures do not
// account for: what rootfs adds beyond the loader.
func extras(p *collector.Plan, _ *elfscan.Graph) []collector.Entry {
	if p == nil {
		return nil
	}
	return p.Extras()
}

// ownerSuffix is " [uid:gid]" for an entry not owned by root.
func ownerSuffix(e *collector.Entry) string {
	if e.Uid == 0 && e.Gid == 0 {
		return ""
	}
	return fmt.Sprintf(" [%d:%d]", e.Uid, e.Gid)
}

func writeExtras(w io.Writer, extras []collector.Entry) {
	if len(extras) == 0 {
		return
	}
	fmt.Fprintln(w, "needed at run time, not shown by the loader:")
	for _, e := range extras {
		fmt.Fprintf(w, "    %s%s%s (%s)\n", e.Path, targetSuffix(&e), ownerSuffix(&e), strings.Join(collector.Texts(e.Reasons), "; "))
	}
}

// writePlan prints every entry: kind, mode, path, link target, reasons.
func writePlan(w io.Writer, p *collector.Plan) {
	for _, e := range p.Entries {
		fmt.Fprintf(w, "%-8s %04o %s%s%s  (%s)\n", e.Kind, e.UnixMode(), e.Path, targetSuffix(&e), ownerSuffix(&e), strings.Join(collector.Texts(e.Reasons), "; "))
	}
	for _, x := range p.Excluded {
		fmt.Fprintf(w, "excluded %s\n", x)
	}
}

func targetSuffix(e *collector.Entry) string {
	switch e.Kind {
	case collector.Symlink:
		return " -> " + e.Target
	case collector.Hardlink:
		return " => " + e.Target
	}
	return ""
}

// reportMissing prints every missing library of g and of the plan, once,
// with the chain that needs it, and returns errMissing if there was one.
func reportMissing(g *elfscan.Graph, p *collector.Plan) error {
	missing := g.Missing()
	if p != nil {
		missing = append(missing, p.Missing()...)
	}
	printed := map[string]bool{}
	for _, m := range missing {
		if line := m.String(); !printed[line] {
			printed[line] = true
			fmt.Fprintln(errw, line)
		}
	}
	if len(missing) > 0 {
		return errMissing
	}
	return nil
}

// writeTree prints each closure as lddtree does: every object under the
// object whose request first loaded it.
func writeTree(w io.Writer, g *elfscan.Graph) {
	for _, c := range g.Closures {
		children := map[*elfscan.Object][]*elfscan.Object{}
		for _, o := range c.Objects {
			if o.Parent != nil {
				children[o.Parent] = append(children[o.Parent], o)
			}
		}
		missing := map[*elfscan.Object][]string{}
		for _, m := range c.Missing {
			missing[m.By] = append(missing[m.By], m.Name)
		}
		root := c.Root
		fmt.Fprintf(w, "%s (%s)\n", root.Path, root.File.Kind)
		if c.Interp != nil {
			fmt.Fprintf(w, "    interpreter %s%s\n", c.Interp.Path, realSuffix(c.Interp))
		}
		var walk func(o *elfscan.Object, depth int)
		walk = func(o *elfscan.Object, depth int) {
			indent := strings.Repeat("    ", depth)
			for _, k := range children[o] {
				if k == c.Interp {
					continue
				}
				fmt.Fprintf(w, "%s%s => %s%s [%s]\n", indent, k.Name, k.Path, realSuffix(k), k.Step)
				walk(k, depth+1)
			}
			for _, name := range missing[o] {
				fmt.Fprintf(w, "%s%s => not found\n", indent, name)
			}
		}
		walk(root, 1)
		writeVariants(w, c)
	}
}

// writeVariants reports the glibc-hwcaps builds of the closure's libraries
// that a CPU above the selected level (--hwcaps) would load instead.
func writeVariants(w io.Writer, c *elfscan.Closure) {
	if len(c.HWCapsVariants) == 0 {
		return
	}
	paths := make([]string, 0, len(c.HWCapsVariants))
	for p := range c.HWCapsVariants {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	fmt.Fprintln(w, "    glibc-hwcaps builds for CPUs above the selected level (--hwcaps LEVEL picks one):")
	for _, p := range paths {
		fmt.Fprintf(w, "        %s: %s\n", p, strings.Join(c.HWCapsVariants[p], ", "))
	}
}

func realSuffix(o *elfscan.Object) string {
	if o.RealPath != "" && o.RealPath != o.Path {
		return " -> " + o.RealPath
	}
	return ""
}

// jsonObject is one object in --json output: a stable schema, flat, with
// the requester named by path (the Graph itself links objects by pointer).
type jsonObject struct {
	Path     string         `json:"path"`
	RealPath string         `json:"realpath,omitempty"`
	Name     string         `json:"name"`
	Kind     string         `json:"kind"`
	Soname   string         `json:"soname,omitempty"`
	Needed   []string       `json:"needed"`
	RPath    []string       `json:"rpath,omitempty"`
	RunPath  []string       `json:"runpath,omitempty"`
	NeededBy string         `json:"needed_by,omitempty"`
	Step     string         `json:"step"`
	Dir      string         `json:"dir,omitempty"`
	HWCaps   string         `json:"hwcaps,omitempty"`
	Links    []elfscan.Link `json:"links,omitempty"`
}

type jsonMissing struct {
	Name  string   `json:"name"`
	Chain []string `json:"needed_by"` // requester first, the root last
}

type jsonClosure struct {
	Root    string        `json:"root"`
	Interp  string        `json:"interpreter,omitempty"`
	Objects []jsonObject  `json:"objects"`
	Missing []jsonMissing `json:"missing"`
	// HWCapsVariants: library path → the glibc-hwcaps levels above the
	// selected one for which the root has a build of it.
	HWCapsVariants map[string][]string `json:"hwcaps_variants,omitempty"`
}

// writeJSON prints the graph: per closure, every object in load order with
// the name that loaded it, its requester, the search step and the links on
// the way, then the missing names with their chains.
func writeJSON(w io.Writer, g *elfscan.Graph, extras []collector.Entry) error {
	closures := []jsonClosure{}
	for _, c := range g.Closures {
		jc := jsonClosure{Root: c.Root.Path, Objects: []jsonObject{}, Missing: []jsonMissing{}, HWCapsVariants: c.HWCapsVariants}
		if c.Interp != nil {
			jc.Interp = c.Interp.Path
		}
		for _, o := range c.Objects {
			jo := jsonObject{
				Path: o.Path, RealPath: o.RealPath, Name: o.Name,
				Step: o.Step.String(), Dir: o.Dir, HWCaps: o.HWCaps, Links: o.Links,
				Needed: []string{},
			}
			if f := o.File; f != nil {
				jo.Kind, jo.Soname, jo.RPath, jo.RunPath = f.Kind.String(), f.Soname, f.RPath, f.RunPath
				if f.Needed != nil {
					jo.Needed = f.Needed
				}
			}
			if o.Parent != nil {
				jo.NeededBy = o.Parent.Path
			}
			jc.Objects = append(jc.Objects, jo)
		}
		for _, m := range c.Missing {
			jm := jsonMissing{Name: m.Name}
			for _, x := range m.By.Chain() {
				jm.Chain = append(jm.Chain, x.Path)
			}
			jc.Missing = append(jc.Missing, jm)
		}
		closures = append(closures, jc)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	type jsonExtra struct {
		Path    string             `json:"path"`
		Kind    string             `json:"kind"`
		Target  string             `json:"target,omitempty"`
		Reasons []collector.Reason `json:"reasons"`
	}
	ex := []jsonExtra{}
	for _, e := range extras {
		ex = append(ex, jsonExtra{Path: e.Path, Kind: e.Kind.String(), Target: e.Target, Reasons: e.Reasons})
	}
	return enc.Encode(map[string]any{"closures": closures, "extras": ex})
}
