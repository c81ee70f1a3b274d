package elfscan_test

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/elfscan"
)

// hostileRoot builds a tree whose symlinks try every way out of the root.
func hostileRoot(t *testing.T) (*elfscan.Root, string) {
	t.Helper()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mk := func(p, content string) {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ln := func(target, p string) {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, full); err != nil {
			t.Fatal(err)
		}
	}
	mk("usr/lib/libreal.so.1.2", "real")
	mk("secret", "inside")
	ln("usr/lib", "lib")                           // usrmerge-style relative dir link
	ln("libreal.so.1.2", "usr/lib/libreal.so.1")   // SONAME chain
	ln("/usr/lib/libreal.so.1", "usr/lib/abs.so")  // absolute: must stay inside
	ln("/", "usr/lib/slash")                       // to the root itself
	ln("../../../../../../secret", "usr/lib/up")   // climbs above the root
	ln(outside+"/secret", "usr/lib/hostpath")      // a host path: means root+path
	ln("loop2", "usr/lib/loop1")                   // a loop
	ln("loop1", "usr/lib/loop2")                   //
	ln("missing", "usr/lib/dangling")              // nothing behind it
	ln("libreal.so.1.2/x", "usr/lib/notdir")       // through a file
	ln("../lib/../lib/libreal.so.1", "usr/lib/dd") // ".." after a real dir
	return func() *elfscan.Root {
		r, err := elfscan.NewRoot(dir)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}(), outside
}

func TestRootResolve(t *testing.T) {
	r, _ := hostileRoot(t)
	for _, tc := range []struct {
		path, real string
		links      int
	}{
		{"/lib/libreal.so.1", "/usr/lib/libreal.so.1.2", 2},
		{"/usr/lib/abs.so", "/usr/lib/libreal.so.1.2", 2},
		{"/usr/lib/slash/secret", "/secret", 1},
		{"/usr/lib/up", "/secret", 1},
		{"/usr/lib/dd", "/usr/lib/libreal.so.1.2", 2},
		{"/../../usr/lib/libreal.so.1.2", "/usr/lib/libreal.so.1.2", 0},
	} {
		real, links, err := r.Resolve(tc.path)
		if err != nil {
			t.Errorf("Resolve(%s): %v", tc.path, err)
			continue
		}
		if real != tc.real || len(links) != tc.links {
			t.Errorf("Resolve(%s) = %s, %d links %v; want %s, %d links", tc.path, real, len(links), links, tc.real, tc.links)
		}
	}
}

func TestRootNeverEscapes(t *testing.T) {
	r, outside := hostileRoot(t)
	// Every way out reads the root's own /secret or fails: never the
	// file outside.
	for _, p := range []string{"/usr/lib/slash/secret", "/usr/lib/up", "/usr/lib/hostpath"} {
		b, err := r.ReadFile(p, 1<<10)
		if err == nil && string(b) != "inside" {
			t.Errorf("%s read %q: escaped the root", p, b)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := r.ReadFile("/usr/lib/hostpath", 1<<10); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a link to the host path %s/secret must resolve inside the root (where it does not exist), got %v", outside, err)
	}
}

func TestRootErrors(t *testing.T) {
	r, _ := hostileRoot(t)
	for _, tc := range []struct{ path, want string }{
		{"/usr/lib/loop1", "too many levels of symbolic links"},
		{"/usr/lib/dangling", "no such file"},
		{"/usr/lib/notdir", "not a directory"},
	} {
		_, err := r.Open(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("Open(%s) = %v, want an error naming the path and saying %q", tc.path, err, tc.want)
		}
	}
	for _, dir := range []string{"/usr/lib", "/usr/lib/slash", "/"} {
		if _, err := r.Open(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("Open(%s) = %v, want 'is a directory'", dir, err)
		}
	}
	if _, err := elfscan.NewRoot("/nonexistent/root"); err == nil || !strings.Contains(err.Error(), "/nonexistent/root") {
		t.Errorf("NewRoot(missing) = %v", err)
	}
}

// Clean returns a clean path as it is, and cleans the others as
// path.Clean does below "/".
func TestClean(t *testing.T) {
	for _, p := range []string{"/", "", ".", "..", "/a", "/a/", "//a", "/a//b", "/./a", "/a/.", "/a/..", "/a/../b",
		"/..a", "/a..", "/.a/b.", "a", "a/b", "/a/b/c", "/a/./b", "/...", "/a/...", "/.", "/..", "/lib/x86_64-linux-gnu/libc.so.6"} {
		if got, want := elfscan.Clean(p), path.Clean("/"+p); got != want {
			t.Errorf("Clean(%q) = %q, want %q", p, got, want)
		}
	}
}
