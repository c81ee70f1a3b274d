package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// A root with a library in /opt/lib named by ld.so.conf but no cache (a
// dpkg -x sysroot), and a glibc-hwcaps build of another library.
func hwcapsRoot(t *testing.T) string {
	testenv.NeedCommand(t, "gcc")
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	testenv.HostGlibc(t, root)
	for _, d := range []string{"opt/lib", "usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3", "usr/bin", "etc"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "q.c"), []byte("int q(void) { return 0; }\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.c"), []byte("int q(void); int o(void); int main(void) { return q() + o(); }\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "o.c"), []byte("int o(void) { return 0; }\n"), 0o644)
	testenv.CC(t, dir, "gcc", "-shared", "-fPIC", "-Wl,-soname,libq.so.1", "-o", "root/usr/lib/x86_64-linux-gnu/libq.so.1", "q.c")
	testenv.CopyFile(t, filepath.Join(root, "usr/lib/x86_64-linux-gnu/libq.so.1"), filepath.Join(root, "usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libq.so.1"))
	testenv.CC(t, dir, "gcc", "-shared", "-fPIC", "-Wl,-soname,libo.so.1", "-o", "root/opt/lib/libo.so.1", "o.c")
	testenv.CC(t, dir, "gcc", "-o", "root/usr/bin/app", "main.c", "root/usr/lib/x86_64-linux-gnu/libq.so.1", "root/opt/lib/libo.so.1")
	os.WriteFile(filepath.Join(root, "etc/ld.so.conf"), []byte("include /etc/ld.so.conf.d/*.conf\n"), 0o644)
	os.MkdirAll(filepath.Join(root, "etc/ld.so.conf.d"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/ld.so.conf.d/opt.conf"), []byte("/opt/lib\n"), 0o644)
	return root
}

func TestHWCapsAndLdSoConf(t *testing.T) {
	root := hwcapsRoot(t)

	// Without a cache the loader does not read ld.so.conf: libo is missing.
	tree, stderr, code := fromscratch(t, "deps", "--root", root, "/usr/bin/app")
	if code != exitMissing || !strings.Contains(stderr, "libo.so.1 (needed by /usr/bin/app): not found") {
		t.Errorf("no cache: exit %d, %s", code, stderr)
	}
	// The baseline loads the plain libq, and says a v3 build is there.
	if !strings.Contains(tree, "libq.so.1 => /usr/lib/x86_64-linux-gnu/libq.so.1 [default]") ||
		!strings.Contains(tree, "/usr/lib/x86_64-linux-gnu/libq.so.1: x86-64-v3") {
		t.Errorf("baseline tree:\n%s", tree)
	}

	// --ld-so-conf: as if ldconfig had run, /opt/lib is searched.
	list, stderr, code := fromscratch(t, "deps", "--list", "--ld-so-conf", "--hwcaps", "x86-64-v3", "--root", root, "/usr/bin/app")
	if code != 0 {
		t.Fatalf("--ld-so-conf: exit %d, %s", code, stderr)
	}
	for _, want := range []string{"/opt/lib/libo.so.1", "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libq.so.1"} {
		if !strings.Contains(list, want+"\n") {
			t.Errorf("--ld-so-conf --hwcaps x86-64-v3 does not list %s:\n%s", want, list)
		}
	}
}
