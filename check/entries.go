package check

import (
	"path"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/trace"
)

// missingEntries finds what a listing hid: for each directory the staged
// run listed, the paths under it that the run in the source root used
// (opened, executed, listed, looked up) and that the staged tree lacks.
// A program that looks for its data by listing a directory (fortune's
// cookie files, git's templates, aspell's dictionaries) names nothing in a
// failed call when the directory is empty; the source run, the same
// program with the whole root, shows which entries it goes on to use, and
// only those are reported: Python lists every directory of its path, and
// a listing alone is no reason to copy the rest of the standard library.
//
// Each entry is reported by itself (files with their closures, a listed
// subdirectory as a directory, its used files by themselves), so one round
// adds a whole tree the program walks. The root directory's listing is no
// evidence, nor are those of /tmp and /run (volatile), and without the
// source run (WithoutCompare) there is none.
func missingEntries(plan *collector.Plan, staged *elfscan.Root, res, src *trace.Result, found []Missing) []Missing {
	if src == nil {
		return nil
	}
	excluded := excludedPaths(plan)
	var dirs []trace.Access
	for _, a := range res.Accesses {
		if a.Op == trace.OpListDir && a.Path != "/" && !isPseudo(a.Path) && !under(a.Path, excluded) && !under(a.Path, volatile) {
			dirs = append(dirs, a)
		}
	}
	if len(dirs) == 0 {
		return nil
	}
	seen := map[string]bool{}
	for _, m := range found {
		seen[m.Path] = true
	}
	written := map[string]bool{}
	for _, a := range src.Accesses {
		if a.Write {
			written[a.Path] = true
		}
	}
	var out []Missing
	for _, a := range src.Accesses {
		p := a.Path
		if seen[p] || written[p] || isPseudo(p) || deliberate[p] != "" || under(p, excluded) {
			continue
		}
		d := lister(dirs, p)
		if d == nil {
			// Listings are of real paths; p may go through a
			// symlink (/lib/x86_64-linux-gnu/… for /usr/lib/…).
			if real, _, err := plan.Root.ResolveParent(p); err == nil && real != p {
				d = lister(dirs, real)
			}
		}
		if d == nil {
			continue
		}
		if _, err := staged.Lstat(p); err == nil {
			continue // the image has it
		}
		st, err := plan.Root.Lstat(p)
		if err != nil {
			continue // the source run's own file, on its overlay
		}
		seen[p] = true
		out = append(out, Missing{
			Kind: MissingEntry, Path: p, Type: st.Mode().Type(), Lookup: a.Op,
			Name: d.Path, PID: d.PID, Comm: d.Comm, Source: true,
		})
	}
	return out
}

// volatile are the directories of the machine's running state: what the
// source run finds listed there (sockets, pid files, another program's
// temporary files) is not the program's to copy.
var volatile = []string{"/tmp", "/var/tmp", "/run", "/var/run"}

// lister returns the listing of the deepest directory that has p below
// it, or nil.
func lister(dirs []trace.Access, p string) *trace.Access {
	var best *trace.Access
	for i, d := range dirs {
		if under(path.Dir(p), []string{d.Path}) && (best == nil || len(d.Path) > len(best.Path)) {
			best = &dirs[i]
		}
	}
	return best
}
