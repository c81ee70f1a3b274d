package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/internal/quote"
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
it, after everything that was found, and the exit status is 1.

A name with a control character (newline, escape) or bytes that are not
UTF-8, or that starts with '"', is printed as a Go string literal
("a\nb", "caf\xe9"), as ls and git quote names. --json writes each byte
that is not UTF-8 as the lone surrogate \udcXX (Python's surrogateescape:
os.fsencode(json.loads(...)) gives the name's bytes back).

The same deps command line run again is answered from the run cache, as
go test answers an unchanged test, when none of the files it read (each
path looked up, listed or opened, and each found missing) has changed
inode, size, mode or times, and the environment, working directory and
fromscratch itself are the same. A run that read a file changed less than
2 seconds before it ended is not kept. --no-cache, or FROMSCRATCH_CACHE=off,
turns it off; --trace, --check, --from, --base and --resolver=loader runs
are never kept.`,
	flags: func(fs *pflag.FlagSet) func(*session, []string) error {
		var cf collectFlags
		var list, asJSON, plan, noCache bool
		var base string
		fs.BoolVar(&list, "list", false, "print one absolute path per line: each FILE, its interpreter, then every library in load order, each once")
		fs.BoolVar(&asJSON, "json", false, "print the whole graph, and the run-time extras, as JSON")
		fs.BoolVar(&plan, "plan", false, "print every entry of the root filesystem that rootfs would write, with its reasons")
		fs.BoolVar(&noCache, "no-cache", false, runCacheHelp)
		fs.StringVar(&base, "base", "", "with --plan: leave out, and list last, what the image `REF` has already, as 'image --base REF' does")
		cf.register(fs)
		cf.checks.reportOnly = true
		return func(s *session, _ []string) error {
			cf.ses = s
			defer cf.closeFrom()
			// deps reads headers and prints: its heap is the graph, which
			// it keeps to the end, and a run is milliseconds long. At the
			// default pace the collector ran several times a run, for
			// garbage that the exit frees anyway.
			debug.SetGCPercent(400)
			if btoi(list)+btoi(asJSON)+btoi(plan) > 1 {
				return usageError{fmt.Errorf("--list, --json and --plan exclude each other")}
			}
			if base != "" && !plan {
				return usageError{fmt.Errorf("--base goes with --plan")}
			}
			// Only what reads the root alone may be replayed: not a
			// traced or checked run, an image, or the host's loader.
			if !noCache && !cf.trace && !cf.checks.on() && cf.from == "" && base == "" && cf.resolver != "loader" {
				if err := s.useRunCache(); err != nil {
					return err
				}
				cf.inputs = s.inputs
			}
			out := s.out
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
				if p, err = cf.plan(fs); err != nil {
					return err
				}
				if g, err = cf.loaderGraph(p); err != nil {
					return err
				}
			}
			// Buffered: a write per line was a system call per line
			// (thousands for a directory of programs). Flushed before
			// the warnings, which follow on stderr.
			w := bufio.NewWriter(out)
			switch {
			case plan && base != "":
				err = writePlanOnBase(w, p, base)
			case plan:
				writePlan(w, p)
			case asJSON:
				err = writeJSON(w, g, extras(p, g), cf.workDir())
			case list:
				for _, o := range g.Objects() {
					fmt.Fprintln(w, quote.Name(o.Path))
				}
			default:
				writeTree(w, g, cf.workDir())
				writeExtras(w, extras(p, g))
			}
			if ferr := w.Flush(); err == nil {
				err = ferr
			}
			if err != nil {
				return err
			}
			if p != nil {
				s.printWarnings(p)
			}
			return s.reportMissing(g, p, cf.workDir())
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
		fmt.Fprintf(w, "    %s%s%s (%s)\n", quote.Name(e.Path), targetSuffix(&e), ownerSuffix(&e), reasonsText(e.Reasons))
	}
}

// writePlan prints every entry: kind, mode, path, link target, reasons.
func writePlan(w io.Writer, p *collector.Plan) {
	for _, e := range p.Entries {
		fmt.Fprintf(w, "%-8s %04o %s%s%s  (%s)\n", e.Kind, e.UnixMode(), quote.Name(e.Path), targetSuffix(&e), ownerSuffix(&e), reasonsText(e.Reasons))
	}
	for _, x := range p.Excluded {
		fmt.Fprintf(w, "excluded %s\n", quote.Name(x))
	}
}

func targetSuffix(e *collector.Entry) string {
	switch e.Kind {
	case collector.Symlink:
		return " -> " + quote.Name(e.Target)
	case collector.Hardlink:
		return " => " + quote.Name(e.Target)
	}
	return ""
}

// reasonsText is the reasons of an entry on one line, each quoted if it
// holds a name that needs it.
func reasonsText(reasons []collector.Reason) string {
	return quote.Names(collector.Texts(reasons), "; ")
}

// reportMissing prints every missing library of g and of the plan, once,
// with the chain that needs it, and returns errMissing if there was one.
func (s *session) reportMissing(g *elfscan.Graph, p *collector.Plan, workdir string) error {
	missing := g.Missing()
	if p != nil {
		missing = append(missing, p.Missing()...)
	}
	printed := map[string]bool{}
	for _, m := range missing {
		if line := missingLine(m, workdir); !printed[line] {
			printed[line] = true
			fmt.Fprintln(s.errw, line)
		}
	}
	if len(missing) > 0 {
		return errMissing
	}
	return nil
}

// missingLine is a missing library's line: its names quoted where they
// need it, and for a relative path the working directory it was looked
// for in.
func missingLine(m elfscan.Missing, workdir string) string {
	return quote.Words(m.String()) + fromWorkDir(m.Name, workdir)
}

// writeTree prints each closure as lddtree does: every object under the
// object whose request first loaded it.
func writeTree(w io.Writer, g *elfscan.Graph, workdir string) {
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
		fmt.Fprintf(w, "%s (%s)\n", quote.Name(root.Path), root.File.Kind)
		if c.Interp != nil {
			fmt.Fprintf(w, "    interpreter %s%s\n", quote.Name(c.Interp.Path), realSuffix(c.Interp))
		}
		var walk func(o *elfscan.Object, depth int)
		walk = func(o *elfscan.Object, depth int) {
			indent := strings.Repeat("    ", depth)
			for _, k := range children[o] {
				if k == c.Interp {
					continue
				}
				fmt.Fprintf(w, "%s%s => %s%s [%s]%s\n", indent, quote.Name(k.Name), quote.Name(k.Path), realSuffix(k), k.Step, objectFromWorkDir(k, workdir))
				walk(k, depth+1)
			}
			for _, name := range missing[o] {
				fmt.Fprintf(w, "%s%s => not found%s\n", indent, quote.Name(name), fromWorkDir(name, workdir))
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
		fmt.Fprintf(w, "        %s: %s\n", quote.Name(p), strings.Join(c.HWCapsVariants[p], ", "))
	}
}

// fromWorkDir says, for a relative DT_NEEDED path with a slash, which
// working directory the loader was assumed to open it from (--workdir):
// the one the program runs in decides what it loads.
func fromWorkDir(name, workdir string) string {
	if !strings.Contains(name, "/") || strings.HasPrefix(name, "/") || strings.Contains(name, "$") {
		return ""
	}
	return " (relative: from the working directory " + quote.Name(workdir) + ", --workdir)"
}

// objectFromWorkDir is fromWorkDir for an object: one opened by a
// relative DT_NEEDED path, or found in a relative RPATH, RUNPATH or
// --library-path directory, which the loader also takes from the working
// directory.
func objectFromWorkDir(o *elfscan.Object, workdir string) string {
	switch o.Step {
	case elfscan.StepPath:
		return fromWorkDir(o.Name, workdir)
	case elfscan.StepRPath, elfscan.StepRunPath, elfscan.StepLibraryPath:
		if !strings.HasPrefix(o.Dir, "/") {
			return fromWorkDir(o.Dir+"/", workdir)
		}
	}
	return ""
}

func realSuffix(o *elfscan.Object) string {
	if o.RealPath != "" && o.RealPath != o.Path {
		return " -> " + quote.Name(o.RealPath)
	}
	return ""
}

// jsonObject is one object in --json output: a stable schema, flat, with
// the requester named by path (the Graph itself links objects by pointer).
type jsonObject struct {
	Path     jsonName   `json:"path"`
	RealPath jsonName   `json:"realpath,omitempty"`
	Name     jsonName   `json:"name"`
	Kind     string     `json:"kind"`
	Soname   jsonName   `json:"soname,omitempty"`
	Needed   []jsonName `json:"needed"`
	RPath    []jsonName `json:"rpath,omitempty"`
	RunPath  []jsonName `json:"runpath,omitempty"`
	NeededBy jsonName   `json:"needed_by,omitempty"`
	Step     string     `json:"step"`
	Dir      jsonName   `json:"dir,omitempty"`
	HWCaps   string     `json:"hwcaps,omitempty"`
	Links    []jsonLink `json:"links,omitempty"`
}

// jsonLink is an elfscan.Link with its names written losslessly.
type jsonLink struct {
	Path   jsonName `json:"path"`
	Target jsonName `json:"target"`
}

type jsonMissing struct {
	Name  jsonName   `json:"name"`
	Chain []jsonName `json:"needed_by"` // requester first, the root last
}

type jsonClosure struct {
	Root    jsonName      `json:"root"`
	Interp  jsonName      `json:"interpreter,omitempty"`
	Objects []jsonObject  `json:"objects"`
	Missing []jsonMissing `json:"missing"`
	// HWCapsVariants: library path → the glibc-hwcaps levels above the
	// selected one for which the root has a build of it.
	HWCapsVariants map[string][]string `json:"hwcaps_variants,omitempty"`
}

// writeJSON prints the graph: per closure, every object in load order with
// the name that loaded it, its requester, the search step and the links on
// the way, then the missing names with their chains.
func writeJSON(w io.Writer, g *elfscan.Graph, extras []collector.Entry, workdir string) error {
	closures := []jsonClosure{}
	for _, c := range g.Closures {
		jc := jsonClosure{Root: jsonName(c.Root.Path), Objects: []jsonObject{}, Missing: []jsonMissing{}, HWCapsVariants: c.HWCapsVariants}
		if c.Interp != nil {
			jc.Interp = jsonName(c.Interp.Path)
		}
		for _, o := range c.Objects {
			jo := jsonObject{
				Path: jsonName(o.Path), RealPath: jsonName(o.RealPath), Name: jsonName(o.Name),
				Step: o.Step.String(), Dir: jsonName(o.Dir), HWCaps: o.HWCaps,
				Needed: []jsonName{},
			}
			for _, l := range o.Links {
				jo.Links = append(jo.Links, jsonLink{Path: jsonName(l.Path), Target: jsonName(l.Target)})
			}
			if f := o.File; f != nil {
				jo.Kind, jo.Soname = f.Kind.String(), jsonName(f.Soname)
				if f.RPath != nil {
					jo.RPath = jsonNames(f.RPath)
				}
				if f.RunPath != nil {
					jo.RunPath = jsonNames(f.RunPath)
				}
				if f.Needed != nil {
					jo.Needed = jsonNames(f.Needed)
				}
			}
			if o.Parent != nil {
				jo.NeededBy = jsonName(o.Parent.Path)
			}
			jc.Objects = append(jc.Objects, jo)
		}
		for _, m := range c.Missing {
			jm := jsonMissing{Name: jsonName(m.Name)}
			for _, x := range m.By.Chain() {
				jm.Chain = append(jm.Chain, jsonName(x.Path))
			}
			jc.Missing = append(jc.Missing, jm)
		}
		closures = append(closures, jc)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	type jsonExtra struct {
		Path    jsonName     `json:"path"`
		Kind    string       `json:"kind"`
		Target  jsonName     `json:"target,omitempty"`
		Reasons []jsonReason `json:"reasons"`
	}
	ex := []jsonExtra{}
	for _, e := range extras {
		ex = append(ex, jsonExtra{Path: jsonName(e.Path), Kind: e.Kind.String(), Target: jsonName(e.Target), Reasons: jsonReasons(e.Reasons)})
	}
	// workdir is the working directory relative DT_NEEDED paths were
	// opened from.
	return enc.Encode(map[string]any{"closures": closures, "extras": ex, "workdir": jsonName(workdir)})
}
