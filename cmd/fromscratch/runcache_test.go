package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/runcache"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// TestMain gives the tests a run cache of their own: deps runs of one
// test may be replayed in another, as they would be for a user, but
// nothing is left in the user's cache. A test that runs this binary
// again (a child to signal) passes its own on.
func TestMain(m *testing.M) {
	if os.Getenv("FROMSCRATCH_CACHE") != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "fromscratch-runcache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("FROMSCRATCH_CACHE", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestRunCache: deps over unchanged files is replayed, byte for byte,
// exit status included; a library rebuilt in place is read again; and
// --no-cache neither replays nor keeps.
func TestRunCache(t *testing.T) {
	t.Setenv("FROMSCRATCH_CACHE", t.TempDir())
	dir := t.TempDir()
	testenv.BuildC(t, dir, "libgreet.so.1", "../../testdata/collector/greet.c", "-shared", "-fPIC", "-Wl,-soname,libgreet.so.1")
	prog := testenv.BuildC(t, dir, "greeter", "../../testdata/collector/greeter.c", "-L", dir, "-l:libgreet.so.1", "-Wl,-rpath,$ORIGIN")
	// A second program whose library is gone: exit 1, with stderr.
	other := filepath.Join(dir, "other")
	testenv.BuildC(t, other, "libgreet.so.1", "../../testdata/collector/greet.c", "-shared", "-fPIC", "-Wl,-soname,libgreet.so.1")
	lost := testenv.BuildC(t, other, "lost", "../../testdata/collector/greeter.c", "-L", other, "-l:libgreet.so.1")
	if err := os.Remove(filepath.Join(other, "libgreet.so.1")); err != nil {
		t.Fatal(err)
	}

	// Files changed within the filesystem's tick are not trusted: the
	// first run over them is not kept.
	o1, e1, c1 := fromscratch(t, "deps", prog, lost)
	if c1 != exitMissing || !strings.Contains(e1, "libgreet.so.1") || !strings.Contains(o1, filepath.Join(dir, "libgreet.so.1")) {
		t.Fatalf("deps: exit %d\n%s\n%s", c1, o1, e1)
	}
	if hit(t, "deps", prog, lost) {
		t.Fatal("a run over files made within the last second was kept")
	}
	time.Sleep(runcache.Granularity + 100*time.Millisecond)
	fromscratch(t, "deps", prog, lost) // kept
	if !hit(t, "deps", prog, lost) {
		t.Fatal("the same command over the same files is not replayed")
	}
	o2, e2, c2 := fromscratch(t, "deps", prog, lost)
	if o2 != o1 || e2 != e1 || c2 != c1 {
		t.Errorf("replayed:\n%s\n%s\nexit %d\nwant:\n%s\n%s\nexit %d", o2, e2, c2, o1, e1, c1)
	}
	if hit(t, "deps", "--list", prog, lost) || hit(t, "deps", prog) {
		t.Error("another command line is replayed")
	}

	// The library rebuilt, now needing libm: read again.
	testenv.BuildC(t, dir, "libgreet.so.1", "../../testdata/collector/greet.c", "-shared", "-fPIC", "-Wl,-soname,libgreet.so.1", "-Wl,--no-as-needed", "-lm")
	if hit(t, "deps", prog, lost) {
		t.Fatal("replayed after a library changed")
	}
	o3, _, _ := fromscratch(t, "deps", prog, lost)
	if !strings.Contains(o3, "libm.so.6") {
		t.Errorf("after the rebuild, deps does not show libm:\n%s", o3)
	}

	// --no-cache: the same answer, nothing kept.
	time.Sleep(runcache.Granularity + 100*time.Millisecond)
	o4, e4, c4 := fromscratch(t, "deps", "--no-cache", prog, lost)
	if o4 != o3 || c4 != c1 || e4 != e1 {
		t.Errorf("--no-cache: exit %d\n%s\n%s", c4, o4, e4)
	}
	if hit(t, "deps", "--no-cache", prog, lost) {
		t.Error("--no-cache kept its run")
	}
}

// hit reports whether deps with args would be replayed now.
func hit(t *testing.T, args ...string) bool {
	t.Helper()
	var o, e bytes.Buffer
	s := &session{out: &o, errw: &e, args: args}
	var r replayed
	return errors.As(s.useRunCache(), &r)
}
