package collector

import (
	"debug/elf"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/elfscan"
)

// TestNamedDirsSearchAgreesWithScan: searching an object for the
// directories sought finds, among them, what reading every string of it
// finds, on real programs and libraries of this machine and the
// directories their packages list.
func TestNamedDirsSearchAgreesWithScan(t *testing.T) {
	c, want := listedDirs(t)
	files := namedDirsObjects
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

// namedDirsObjects are objects of this machine that name directories
// their packages list, and Go programs (with a large .gopclntab).
var namedDirsObjects = []string{"/usr/bin/git", "/usr/bin/vim.basic", "/usr/bin/perl", "/usr/bin/python3",
	"/usr/bin/gdb", "/usr/bin/ld.bfd", "/usr/bin/node", "/usr/bin/groff", "/usr/bin/tclsh",
	"/usr/bin/docker", "/usr/bin/containerd",
	"/usr/lib/x86_64-linux-gnu/libsasl2.so.2", "/usr/lib/x86_64-linux-gnu/libgio-2.0.so.0",
	"/usr/lib/x86_64-linux-gnu/libkrb5.so.3", "/usr/lib/x86_64-linux-gnu/libperl.so.5.36"}

// TestStringSectionsHoldTheNamedDirs: the sections readOnlyData reads
// name every listed directory that the whole of the object's loadable
// segments (code, unwind tables, Go's pclntab) names, on real objects.
func TestStringSectionsHoldTheNamedDirs(t *testing.T) {
	c, want := listedDirs(t)
	tried := 0
	for _, f := range namedDirsObjects {
		real, err := filepath.EvalSymlinks(f)
		if err != nil {
			continue
		}
		data, err := os.ReadFile(real)
		if err != nil {
			t.Fatal(err)
		}
		ef, err := elf.Open(real)
		if err != nil {
			t.Fatal(err)
		}
		var all []string
		for _, prog := range ef.Progs {
			if prog.Type == elf.PT_LOAD {
				all = namedIn(data[prog.Off:prog.Off+prog.Filesz], "/usr", want, map[string]bool{}, all)
			}
		}
		ef.Close()
		// Directories above the object are never sought (the rule
		// leaves them out): "/" turns up as "../.." in code.
		above := func(d string) bool { return d == "/" || strings.HasPrefix(real, d+"/") }
		all = slices.DeleteFunc(all, above)
		slices.Sort(all)
		all = slices.Compact(all)
		got := slices.DeleteFunc(c.namedDirs(real, true, want, nil, new([]byte)), above)
		if !slices.Equal(got, all) {
			t.Errorf("%s: its string sections name %q, its loadable segments %q", real, got, all)
		}
		tried++
	}
	if tried == 0 {
		t.Skip("none of the objects is on this machine")
	}
	t.Logf("%d objects compared", tried)
}

// listedDirs returns a collection of the host and the directories of
// everything its packages list.
func listedDirs(t *testing.T) (*collection, map[string]bool) {
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
	return c, want
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
