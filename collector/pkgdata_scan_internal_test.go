package collector

import (
	"path"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fromscratch/fromscratch/elfscan"
)

// TestNamedDirsSearchAgreesWithScan: searching an object for the
// directories sought finds, among them, what reading every string of it
// finds, on real programs and libraries of this machine and the
// directories their packages list.
func TestNamedDirsSearchAgreesWithScan(t *testing.T) {
	c := newCollection(&config{path: DefaultPath()}, elfscan.NewResolver())
	if !hasDpkg(c.root) {
		t.Skip("no dpkg database")
	}
	db, err := c.dpkgDatabase()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.readLists(); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, id := range db.listIDs {
		for _, p := range db.paths(id) {
			want[path.Dir(p)] = true
		}
	}
	files := []string{"/usr/bin/git", "/usr/bin/vim.basic", "/usr/bin/perl", "/usr/bin/python3",
		"/usr/bin/gdb", "/usr/bin/ld.bfd", "/usr/bin/node", "/usr/bin/groff", "/usr/bin/tclsh",
		"/usr/lib/x86_64-linux-gnu/libsasl2.so.2", "/usr/lib/x86_64-linux-gnu/libgio-2.0.so.0",
		"/usr/lib/x86_64-linux-gnu/libkrb5.so.3", "/usr/lib/x86_64-linux-gnu/libperl.so.5.36"}
	tried := 0
	for _, f := range files {
		real, err := filepath.EvalSymlinks(f)
		if err != nil {
			continue
		}
		for _, program := range []bool{true, false} {
			full := c.namedDirs(real, program, want, nil, new([]byte))
			if len(full) == 0 {
				continue
			}
			tried++
			var sets [][]string
			for _, d := range full {
				// Each alone, with its parent (a relative string's
				// needle is then its first element below the
				// prefix), and with a path named nowhere.
				sets = append(sets, []string{d}, sortedSet(d, path.Dir(d)), sortedSet(d, d+"-none"))
			}
			sets = append(sets, full, full[:min(8, len(full))])
			for _, sought := range sets {
				got := c.namedDirs(real, program, want, sought, new([]byte))
				if in, exp := among(got, sought), among(full, sought); !slices.Equal(in, exp) {
					t.Errorf("%s (program %v): searching for %q found %q, every string names %q", real, program, sought, in, exp)
				}
			}
		}
	}
	t.Logf("%d objects and modes compared", tried)
	if tried == 0 {
		t.Skip("no object of this machine names a listed directory")
	}
}

func sortedSet(p ...string) []string {
	slices.Sort(p)
	return slices.Compact(p)
}

// among returns the paths of list that are in set.
func among(list, set []string) []string {
	var out []string
	for _, p := range list {
		if slices.Contains(set, p) {
			out = append(out, p)
		}
	}
	return out
}
