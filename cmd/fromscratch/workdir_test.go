package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// A relative DT_NEEDED path with a slash is opened from the working
// directory, as the real loader does: run from dir the program starts, run
// from / it does not. deps, rootfs and image resolve it from --workdir
// (default /) and deps says which directory it assumed.
func TestWorkdirRelativeNeeded(t *testing.T) {
	dir := t.TempDir()
	testenv.BuildC(t, dir, "sub/libgreet.so", "../../testdata/collector/greet.c", "-shared", "-fPIC")
	prog := testenv.BuildC(t, dir, "prog", "../../testdata/collector/greeter.c", "sub/libgreet.so")

	// The real loader, from each working directory.
	run := func(prog, cwd string) error {
		cmd := exec.Command(prog)
		cmd.Dir = cwd
		return cmd.Run()
	}
	if err := run(prog, dir); err != nil {
		t.Fatalf("the loader, from %s: %v", dir, err)
	}
	if err := run(prog, "/"); err == nil {
		t.Fatalf("the loader, from /, found sub/libgreet.so")
	}

	lib := filepath.Join(dir, "sub/libgreet.so")
	stdout, stderr, code := fromscratch(t, "deps", "--workdir", dir, prog)
	if code != 0 || !strings.Contains(stdout, "sub/libgreet.so => "+lib+" [path] (relative: from the working directory "+dir) {
		t.Errorf("deps --workdir %s: exit %d, %s%s", dir, code, stdout, stderr)
	}
	_, stderr, code = fromscratch(t, "deps", prog)
	if code != exitMissing || !strings.Contains(stderr, "sub/libgreet.so (needed by "+prog+"): not found (relative: from the working directory /") {
		t.Errorf("deps from /: exit %d, %s", code, stderr)
	}
	stdout, _, _ = fromscratch(t, "deps", "--json", "--workdir", dir, prog)
	var doc struct {
		Workdir string `json:"workdir"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || doc.Workdir != dir {
		t.Errorf("deps --json: workdir %q (%v), want %s", doc.Workdir, err, dir)
	}

	// A relative RUNPATH directory is taken from the working directory too.
	testenv.BuildC(t, dir, "rsub/libgreet.so.1", "../../testdata/collector/greet.c", "-shared", "-fPIC", "-Wl,-soname,libgreet.so.1")
	if err := os.Symlink("libgreet.so.1", filepath.Join(dir, "rsub/libgreet.so")); err != nil {
		t.Fatal(err)
	}
	prog2 := testenv.BuildC(t, dir, "prog2", "../../testdata/collector/greeter.c", "-Lrsub", "-lgreet", "-Wl,-rpath,rsub")
	if err := run(prog2, dir); err != nil {
		t.Fatalf("the loader, from %s: %v", dir, err)
	}
	if err := run(prog2, "/"); err == nil {
		t.Fatalf("the loader, from /, found rsub/libgreet.so.1")
	}
	stdout, stderr, code = fromscratch(t, "deps", "--workdir", dir, prog2)
	if code != 0 || !strings.Contains(stdout, "libgreet.so.1 => "+filepath.Join(dir, "rsub/libgreet.so.1")) || !strings.Contains(stdout, "(relative: from the working directory "+dir) {
		t.Errorf("deps --workdir %s of a relative RUNPATH: exit %d, %s%s", dir, code, stdout, stderr)
	}

	out := filepath.Join(t.TempDir(), "r")
	if _, stderr, code := fromscratch(t, "rootfs", "--no-auto", "--workdir", dir, "-o", out, prog); code != 0 {
		t.Fatalf("rootfs --workdir: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, lib)); err != nil {
		t.Errorf("rootfs --workdir: %v", err)
	}
	// (Its exit status, 1 or 2, is issue 12 item 8's.)
	if _, stderr, code := fromscratch(t, "rootfs", "--no-auto", "-o", filepath.Join(t.TempDir(), "r"), prog); code == 0 || !strings.Contains(stderr, "from the working directory /") {
		t.Errorf("rootfs from /: exit %d: %s", code, stderr)
	}
}
