package trace

import (
	"slices"
	"strings"
)

// pseudo reports whether path is on a kernel file system that no image
// should copy: /proc, /sys, /dev.
func pseudo(path string) bool {
	for _, p := range [...]string{"/proc", "/sys", "/dev"} {
		if path == p || strings.HasPrefix(path, p) && path[len(p)] == '/' {
			return true
		}
	}
	return false
}

// written returns the set of paths some process opened for writing,
// created or truncated during the run.
func (r *Result) written() map[string]bool {
	w := make(map[string]bool)
	for _, a := range r.Accesses {
		if a.Write {
			w[a.Path] = true
		}
	}
	return w
}

// Files returns, sorted and without duplicates, the paths an image of the
// program needs: those the run opened, executed or listed, and those it
// stat'ed that are not directories. The last are needed as much: Python,
// for one, stats a module's source to check the bytecode it then opens,
// and ignores the bytecode when the source is missing.
//
// Files leaves out /proc, /sys and /dev, every path that was opened for
// writing or created at any time during the run (its content is the
// run's, not the program's), and the tracer's own executable.
func (r *Result) Files() []string {
	w := r.written()
	var out []string
	for _, a := range r.Accesses {
		if r.file(a) && !w[a.Path] && !pseudo(a.Path) && a.Path != r.self {
			out = append(out, a.Path)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (r *Result) file(a Access) bool {
	switch a.Op {
	case OpOpen, OpExec, OpListDir:
		return true
	case OpStat:
		return !a.Dir
	}
	return false
}

// Lookups returns, sorted and without duplicates, the other paths the run
// looked up with stat, access or readlink: directories walked, symbolic
// links read, paths whose existence was checked. Paths in Files, and
// those Files leaves out, are left out.
func (r *Result) Lookups() []string {
	files := make(map[string]bool)
	for _, f := range r.Files() {
		files[f] = true
	}
	w := r.written()
	var out []string
	for _, a := range r.Accesses {
		if !r.file(a) && !files[a.Path] && !w[a.Path] && !pseudo(a.Path) && a.Path != r.self {
			out = append(out, a.Path)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// explainRank orders the operations by how much they tell of why a file is
// needed: run, then listed, then read, then only looked at.
var explainRank = map[Op]int{OpStat: 1, OpOpen: 2, OpListDir: 3, OpExec: 4}

// Explain returns, for each path of Files, the access that best says why
// the program needs it: the first exec of it, else the first listing, else
// the first open, else the first stat. The program's own exec, made by the
// tracer's helper, has an empty Comm.
func (r *Result) Explain() map[string]Access {
	files := r.Files()
	want := make(map[string]bool, len(files))
	for _, f := range files {
		want[f] = true
	}
	best := make(map[string]Access, len(files))
	for _, a := range r.Accesses {
		if !want[a.Path] || a.Op == OpStat && a.Dir {
			continue
		}
		if explainRank[a.Op] > explainRank[best[a.Path].Op] {
			best[a.Path] = a
		}
	}
	return best
}
