package collector_test

import (
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

const helloSrc = "../testdata/collector/hello.c"

// A static hello world needs nothing but itself: its rootfs is the one
// file. None of the rules finds evidence in a file without a closure.
func TestHelloStatic(t *testing.T) {
	dir := t.TempDir()
	testenv.BuildC(t, dir, "hello", helloSrc, "-static", "-O2")
	plan := collect(t, []string{"/hello"}, collector.WithRoot(newRoot(t, dir)))
	if got := strings.Join(listing(plan), "\n"); got != "file /hello" {
		t.Fatalf("plan of a static hello:\n%s\nwant only file /hello", got)
	}
	if len(plan.Warnings) > 0 || len(plan.Env) > 0 {
		t.Errorf("warnings %q, env %q: want none", plan.Warnings, plan.Env)
	}
	if plan.Platform.String() != "linux/amd64" {
		t.Errorf("platform %s, want linux/amd64", plan.Platform)
	}
	rootfs := writeRootfs(t, plan)
	n, size := treeSize(t, rootfs)
	t.Logf("static hello: %d entries, %d bytes", n, size)
	stdout, stderr, exit := testenv.RunChroot(t, rootfs, nil, "", "/hello")
	if string(stdout) != "hello, world\n" || exit != 0 {
		t.Fatalf("hello in its rootfs: exit %d, stdout %q, stderr %q", exit, stdout, stderr)
	}
}

// A dynamic hello world is the binary, its interpreter and libc, with the
// symlinks that lead to them: /lib64 → usr/lib64, the interpreter link,
// /lib → usr/lib on this usrmerged system. Nothing else: it looks up no
// user, makes no temporary file, loads no module.
func TestHelloDynamic(t *testing.T) {
	dir := t.TempDir()
	hello := testenv.BuildC(t, dir, "hello", helloSrc, "-O2")
	plan := collect(t, []string{hello})
	wantFiles := []string{hello, realPath(t, "/lib64/ld-linux-x86-64.so.2"), realPath(t, "/lib/x86_64-linux-gnu/libc.so.6")}
	if got := entriesOf(plan, collector.File); strings.Join(got, " ") != strings.Join(sorted(wantFiles), " ") {
		t.Errorf("files %q, want %q", got, sorted(wantFiles))
	}
	// Every symlink leads to one of the three files, or to a directory
	// on the way to one.
	for _, l := range entriesOf(plan, collector.Symlink) {
		real := realPath(t, l)
		ok := false
		for _, f := range wantFiles {
			ok = ok || real == f || strings.HasPrefix(f, real+"/")
		}
		for _, s := range entriesOf(plan, collector.Symlink) {
			ok = ok || strings.HasPrefix(s, real+"/")
		}
		if !ok {
			t.Errorf("symlink %s leads to %s, not to hello, ld.so or libc", l, real)
		}
	}
	// Directories are only parents of the rest.
	for _, d := range entriesOf(plan, collector.Dir) {
		parent := false
		for _, e := range plan.Entries {
			parent = parent || strings.HasPrefix(e.Path, d+"/")
		}
		if !parent {
			t.Errorf("directory %s holds nothing", d)
		}
	}
	if len(plan.Env) > 0 || len(plan.Warnings) > 0 {
		t.Errorf("env %q, warnings %q: want none", plan.Env, plan.Warnings)
	}
	t.Logf("dynamic hello plan:\n%s", strings.Join(listing(plan), "\n"))
	rootfs := writeRootfs(t, plan)
	n, size := treeSize(t, rootfs)
	t.Logf("dynamic hello: %d entries, %d bytes", n, size)
	stdout, stderr, exit := testenv.RunChroot(t, rootfs, nil, "", hello)
	if string(stdout) != "hello, world\n" || exit != 0 {
		t.Fatalf("hello in its rootfs: exit %d, stdout %q, stderr %q", exit, stdout, stderr)
	}
	stdout, stderr, exit = testenv.RunRunc(t, rootfs, nil, "", hello)
	if string(stdout) != "hello, world\n" || exit != 0 {
		t.Fatalf("hello under runc: exit %d, stdout %q, stderr %q", exit, stdout, stderr)
	}
}

// realPath resolves every symlink of the host path p.
func realPath(t testing.TB, p string) string {
	t.Helper()
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return path.Clean(real)
}
