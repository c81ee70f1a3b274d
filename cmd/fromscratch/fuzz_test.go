package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/image"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// fuzzRoot is a small root for FuzzArgs: /usr/bin/true and its
// libraries, a few files and links to add, and a listing of the whole
// tree to check that nothing in it changed.
func fuzzRoot(t testing.TB) (root string, listing func() string) {
	t.Helper()
	root = t.TempDir()
	for _, f := range []string{"/usr/bin/true", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"} {
		testenv.CopyFile(t, f, filepath.Join(root, f))
	}
	for p, data := range map[string]string{"etc/a.conf": "a\n", "srv/d/x": "x\n", "srv/d/sub/y": "y\n"} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"srv/d/up": "../../..", "srv/d/abs": "/etc", "bin": "usr/bin"} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	listing = func() string {
		var b strings.Builder
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			info, _ := os.Lstat(p)
			if info != nil {
				b.WriteString(p + " " + info.Mode().String() + " " + info.ModTime().String() + "\n")
			}
			return nil
		})
		return b.String()
	}
	return root, listing
}

// FuzzArgs feeds the parsing of --add, --exclude and image references
// arbitrary text: rootfs with them must not panic, must fail with one
// line or succeed, and must write nothing outside its output (the root
// read from is unchanged, the output's directory holds the output alone,
// or nothing after a failure). References go through image.Check, which
// parses them as Write would without any network.
func FuzzArgs(f *testing.F) {
	for _, seed := range [][3]string{
		{"/etc/a.conf", "*.bak", "fromscratch:latest"},
		{"/srv/d:/opt/d", "**/sub", "127.0.0.1:5000/a/../b:1"},
		{"/etc/a.conf:/", "/srv/d/**/y", "user:secret@host/x:1"},
		{"/srv/d:/usr/bin/true/x", "[", "UPPER/case"},
		{"/srv/d/up:/x", "", "a@sha256:" + strings.Repeat("0", 64)},
		{":", "/", "http://host/x"},
		{"../../etc/a.conf:../../../../tmp/escape", "..", ""},
		{"/etc/a.conf:/etc/a\nb", "\x00", "x\x1b[31m"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	root, listing := fuzzRoot(f)
	before := listing()
	f.Fuzz(func(t *testing.T, add, exclude, ref string) {
		parent := t.TempDir()
		out := filepath.Join(parent, "r")
		_, stderr, code := fromscratch(t, "rootfs", "--root", root, "--allow-missing", "--no-auto", "-o", out,
			"--add", add, "--exclude", exclude, "/usr/bin/true")
		switch code {
		case 0:
			onlyEntries(t, parent, "r")
		case exitError:
			if strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 {
				t.Errorf("--add %q --exclude %q: not one line: %q", add, exclude, stderr)
			}
			onlyEntries(t, parent)
		default:
			t.Errorf("--add %q --exclude %q: exit %d: %s", add, exclude, code, stderr)
		}
		if listing() != before {
			t.Fatalf("--add %q --exclude %q changed the root read from", add, exclude)
		}
		if err := image.Check(image.Tarball(filepath.Join(parent, "i.tar"), ref), image.OCILayout(filepath.Join(parent, "oci"), ref),
			image.Registry(ref)); err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("reference %q: not one line: %q", ref, err)
		}
		onlyEntries(t, parent, "r")
	})
}

// onlyEntries checks that dir holds the names given, or a subset of them.
func onlyEntries(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		ok := false
		for _, n := range names {
			ok = ok || e.Name() == n
		}
		if !ok {
			t.Errorf("%s holds %s, written outside the output", dir, e.Name())
		}
	}
}
