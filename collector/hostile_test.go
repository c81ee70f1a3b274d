package collector_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// hostileNames are the libraries of needs.c, each made hostile in the
// root: a link to "/", a link loop, a directory, a FIFO, a dangling link,
// a relative link climbing out of the root and an absolute link to a
// host path outside it (where a valid library waits, to catch any
// escape). File modes cannot stand for unreadable files: the tests run
// as root, who reads a mode-000 file, so FIFOs and dangling links do.
var hostileNames = []string{"root", "loop", "dir", "fifo", "dangling", "up", "abs"}

func TestHostileRoot(t *testing.T) {
	dir := miniRoot(t)
	outside, build := t.TempDir(), t.TempDir()
	libdir := filepath.Join(dir, "usr/lib/x86_64-linux-gnu")
	args := []string{"-L", build, "-Wl,--no-as-needed", "-lgreet"}
	mklink(t, build, "libgreet.so", filepath.Join(libdir, "libgreet.so.1.2.3"))
	for _, n := range hostileNames {
		lib := "lib" + n + ".so.1"
		testenv.BuildC(t, build, filepath.Join(build, lib), "../testdata/collector/greet.c", "-shared", "-fPIC", "-Wl,-soname,"+lib)
		mklink(t, build, "lib"+n+".so", lib)
		args = append(args, "-l"+n)
		// A valid library outside the root, where an escape would lead.
		testenv.CopyFile(t, filepath.Join(build, lib), filepath.Join(outside, lib))
	}
	testenv.BuildC(t, build, filepath.Join(dir, "usr/bin/needs"), "../testdata/collector/needs.c", args...)
	at := func(n string) string { return filepath.Join(libdir, "lib"+n+".so.1") }
	mklink(t, dir, "usr/lib/x86_64-linux-gnu/libroot.so.1", "/")
	mklink(t, dir, "usr/lib/x86_64-linux-gnu/libloop.so.1", "libloop.so.1")
	if err := os.Mkdir(at("dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(at("fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	mklink(t, dir, "usr/lib/x86_64-linux-gnu/libdangling.so.1", "nonexistent.so")
	mklink(t, dir, "usr/lib/x86_64-linux-gnu/libup.so.1", strings.Repeat("../", 20)+strings.TrimPrefix(outside, "/")+"/libup.so.1")
	mklink(t, dir, "usr/lib/x86_64-linux-gnu/libabs.so.1", filepath.Join(outside, "libabs.so.1"))

	// The same cases in a tree given to --add, and as programs.
	tree := filepath.Join(dir, "srv/t")
	mkfile(t, dir, "srv/t/ok", "ok\n", 0o644)
	mklink(t, dir, "srv/t/root", "/")
	mklink(t, dir, "srv/t/loop", "loop")
	if err := syscall.Mkfifo(filepath.Join(tree, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	mklink(t, dir, "srv/t/dangling", "nonexistent")
	mklink(t, dir, "srv/t/up", strings.Repeat("../", 20)+strings.TrimPrefix(outside, "/")+"/libup.so.1")
	mklink(t, dir, "srv/t/abs", filepath.Join(outside, "libabs.so.1"))

	before := testenv.TreeList(t, outside)
	root := newRoot(t, dir)
	plan, err := collector.Collect([]string{"/usr/bin/needs"}, collector.WithRoot(root), collector.WithAdd("/srv/t", ""), collector.WithAllowMissing())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	t.Logf("warnings:\n%s", warningText(plan.Warnings))
	missing := fmt.Sprint(plan.Missing())
	for _, n := range hostileNames {
		if !strings.Contains(missing, "lib"+n+".so.1 (needed by /usr/bin/needs)") {
			t.Errorf("no warning that lib%s.so.1 is missing", n)
		}
	}
	for _, p := range []string{"/srv/t/up", "/srv/t/abs", "/srv/t/loop", "/srv/t/dangling"} {
		if plan.Lookup(p) != nil {
			t.Errorf("%s is in the plan", p)
		}
		if w, _ := warnedAbout(plan, collector.WarnDropped, p); !strings.HasPrefix(w.Text, "dropped symlink "+p) {
			t.Errorf("no warning for %s", p)
		}
	}
	if w, _ := warnedAbout(plan, collector.WarnNotAdded, "/srv/t/fifo"); !strings.HasSuffix(w.Text, "/srv/t/fifo skipped: a named pipe") {
		t.Errorf("no warning for the FIFO")
	}
	mustEntry(t, plan, "/srv/t/ok")
	mustEntry(t, plan, "/usr/lib/x86_64-linux-gnu/libgreet.so.1.2.3")
	for _, e := range plan.Entries {
		if strings.Contains(e.Path, filepath.Base(outside)) || strings.Contains(e.Source, filepath.Base(outside)) {
			t.Errorf("%s (source %q) comes from outside the root", e.Path, e.Source)
		}
	}

	parent := t.TempDir()
	out := filepath.Join(parent, "rootfs")
	if err := collector.WriteDir(plan, out); err != nil {
		t.Fatal(err)
	}
	if after := testenv.TreeList(t, outside); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("the directory outside the root changed:\n%s", strings.Join(after, "\n"))
	}
	if list, _ := os.ReadDir(parent); len(list) != 1 {
		t.Errorf("WriteDir left %d entries beside the rootfs", len(list)-1)
	}

	for _, p := range []string{"/srv/t/root", "/srv/t/loop", "/srv/t/fifo", "/srv/t/dangling", "/srv/t/up", "/srv/t/abs", "/usr/lib/x86_64-linux-gnu/libdir.so.1"} {
		_, err := collector.Collect([]string{p}, collector.WithRoot(root))
		if err == nil {
			t.Errorf("program %s: no error", p)
			continue
		}
		t.Logf("program %s: %v", p, err)
		if strings.Contains(err.Error(), outside) {
			t.Errorf("program %s: the error names a host path: %v", p, err)
		}
	}
}
