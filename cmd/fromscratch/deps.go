package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/fromscratch/fromscratch/elfscan"
)

var depsCommand = &command{
	name:  "deps",
	args:  "[flags] FILE...",
	short: "print what the dynamic loader would load for FILE, and why",
	long: `Reads FILE's ELF headers and resolves its libraries as the dynamic loader
would (glibc or musl rules, ld.so.cache, RPATH/RUNPATH, $ORIGIN, hwcaps),
without executing anything. Prints a tree of who needs whom by default.

A library that cannot be found is listed on stderr with the chain that needs
it, after everything that was found, and the exit status is 1.`,
	flags: func(fs *pflag.FlagSet) func([]string) error {
		var rf resolveFlags
		var list, asJSON bool
		fs.BoolVar(&list, "list", false, "print one absolute path per line: each FILE, its interpreter, then every library in load order, each once")
		fs.BoolVar(&asJSON, "json", false, "print the whole graph as JSON")
		rf.register(fs)
		return func(args []string) error {
			if list && asJSON {
				return usageError{fmt.Errorf("--list and --json exclude each other")}
			}
			g, err := resolve(&rf, args)
			if err != nil {
				return err
			}
			switch {
			case asJSON:
				err = writeJSON(out, g)
			case list:
				for _, o := range g.Objects() {
					fmt.Fprintln(out, o.Path)
				}
			default:
				writeTree(out, g)
			}
			if err != nil {
				return err
			}
			return reportMissing(g)
		}
	},
}

// resolve runs the resolver the flags describe on the FILE arguments.
func resolve(rf *resolveFlags, args []string) (*elfscan.Graph, error) {
	paths, err := rf.rootPaths(args)
	if err != nil {
		return nil, err
	}
	return rf.resolve(paths)
}

// reportMissing prints every missing library with the chain that needs it
// and returns errMissing if there was one.
func reportMissing(g *elfscan.Graph) error {
	missing := g.Missing()
	for _, m := range missing {
		fmt.Fprintf(errw, "%s (needed by %s): not found\n", m.Name, chainText(m.By))
	}
	if len(missing) > 0 {
		return errMissing
	}
	return nil
}

// chainText renders "libbar.so.2 ← /usr/bin/app": the requester by the name
// it was loaded as, then its loaders, the root by its path.
func chainText(o *elfscan.Object) string {
	var parts []string
	for _, x := range o.Chain() {
		if x.Parent == nil {
			parts = append(parts, x.Path)
		} else {
			parts = append(parts, x.Name)
		}
	}
	return strings.Join(parts, " ← ")
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
}

// writeJSON prints the graph: per closure, every object in load order with
// the name that loaded it, its requester, the search step and the links on
// the way, then the missing names with their chains.
func writeJSON(w io.Writer, g *elfscan.Graph) error {
	closures := []jsonClosure{}
	for _, c := range g.Closures {
		jc := jsonClosure{Root: c.Root.Path, Objects: []jsonObject{}, Missing: []jsonMissing{}}
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
	return enc.Encode(map[string]any{"closures": closures})
}
