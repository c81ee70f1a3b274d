package collector_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// A library installed in /usr/local/lib and registered with ldconfig (what
// "make install" does) is found only through /etc/ld.so.cache: the image
// needs the cache, or the program does not start. A library in a default
// directory does not: the dynamic hello's rootfs has no cache.
func TestCacheOnlyWhenNeeded(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "gcc", "ldconfig", "unshare")
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	testenv.HostGlibc(t, root)
	mkfile(t, dir, "greet.c", `#include <stdio.h>
const char *greeting(void) { return "hello from /usr/local/lib"; }
`, 0o644)
	mkfile(t, dir, "main.c", `#include <stdio.h>
const char *greeting(void);
int main(void) { puts(greeting()); return 0; }
`, 0o644)
	os.MkdirAll(filepath.Join(root, "usr/local/lib"), 0o755)
	os.MkdirAll(filepath.Join(root, "usr/local/bin"), 0o755)
	testenv.CC(t, dir, "gcc", "-shared", "-fPIC", "-Wl,-soname,libgreet.so.1", "-o", "root/usr/local/lib/libgreet.so.1", "greet.c")
	testenv.CC(t, dir, "gcc", "-o", "root/usr/local/bin/greet", "main.c", "-Lroot/usr/local/lib", "-l:libgreet.so.1")
	mkfile(t, root, "etc/ld.so.conf", "/usr/local/lib\n", 0o644)
	if out, err := exec.Command("ldconfig", "-r", root).CombinedOutput(); err != nil {
		t.Fatalf("ldconfig -r: %v\n%s", err, out)
	}

	plan := collect(t, []string{"/usr/local/bin/greet"}, collector.WithRoot(newRoot(t, root)))
	e := mustEntry(t, plan, "/etc/ld.so.cache")
	if !hasReason(e, "libgreet.so.1 is in /usr/local/lib") {
		t.Errorf("/etc/ld.so.cache reasons %q", e.Reasons)
	}
	out := writeRootfs(t, plan)
	stdout, stderr, code := testenv.RunChroot(t, out, nil, "", "/usr/local/bin/greet")
	if code != 0 || string(stdout) != "hello from /usr/local/lib\n" {
		t.Errorf("greet in the rootfs: exit %d, %q %q", code, stdout, stderr)
	}

	// With everything in default directories, no cache is added, with or
	// without the automatic rules.
	for _, opts := range [][]collector.Option{nil, {collector.WithNoAuto()}} {
		plan = collect(t, []string{"/bin/true"}, append(opts, collector.WithResolver(elfscan.WithRoot(elfscan.HostRoot())))...)
		if plan.Lookup("/etc/ld.so.cache") != nil {
			t.Errorf("/bin/true's plan has /etc/ld.so.cache: %q", plan.Lookup("/etc/ld.so.cache").Reasons)
		}
	}
}

// With WithLdSoConf, on a root whose /etc/ld.so.cache is missing or stale
// (made before /usr/local/lib was in ld.so.conf), the plan gets a cache
// made for it from ld.so.conf, not the root's: the program finds its
// library in the image, run in a chroot.
func TestLdSoConfWritesMatchingCache(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "gcc", "ldconfig")
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	testenv.HostGlibc(t, root)
	mkfile(t, dir, "greet.c", `const char *greeting(void) { return "hello from /usr/local/lib"; }
`, 0o644)
	mkfile(t, dir, "main.c", `#include <stdio.h>
const char *greeting(void);
int main(void) { puts(greeting()); return 0; }
`, 0o644)
	os.MkdirAll(filepath.Join(root, "usr/local/lib"), 0o755)
	os.MkdirAll(filepath.Join(root, "usr/local/bin"), 0o755)
	testenv.CC(t, dir, "gcc", "-shared", "-fPIC", "-Wl,-soname,libgreet.so.1", "-o", "root/usr/local/lib/libgreet.so.1", "greet.c")
	testenv.CC(t, dir, "gcc", "-o", "root/usr/local/bin/greet", "main.c", "-Lroot/usr/local/lib", "-l:libgreet.so.1")
	cache := filepath.Join(root, "etc/ld.so.cache")

	for _, c := range []struct {
		name  string
		setup func()
	}{
		{"no-cache", func() { os.Remove(cache) }},
		{"stale-cache", func() {
			// The cache ldconfig wrote before /usr/local/lib was listed.
			mkfile(t, root, "etc/ld.so.conf", "", 0o644)
			if out, err := exec.Command("ldconfig", "-r", root).CombinedOutput(); err != nil {
				t.Fatalf("ldconfig -r: %v\n%s", err, out)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.setup()
			mkfile(t, root, "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n", 0o644)
			mkfile(t, root, "etc/ld.so.conf.d/local.conf", "/usr/local/lib\n", 0o644)
			plan, err := collector.Collect([]string{"/usr/local/bin/greet"}, collector.WithRoot(newRoot(t, root)),
				collector.WithResolver(elfscan.WithLdSoConf(true)))
			if err != nil {
				t.Fatalf("Collect: %v", err)
			}
			e := mustEntry(t, plan, "/etc/ld.so.cache")
			if e.Source != "" || len(e.Data) == 0 || !hasReason(e, "made from ld.so.conf") || !hasReason(e, "libgreet.so.1 is in /usr/local/lib") {
				t.Errorf("/etc/ld.so.cache: source %q, %d bytes, reasons %q: want one made from ld.so.conf", e.Source, len(e.Data), e.Reasons)
			}
			out := writeRootfs(t, plan)
			stdout, stderr, code := testenv.RunChroot(t, out, nil, "", "/usr/local/bin/greet")
			if code != 0 || string(stdout) != "hello from /usr/local/lib\n" {
				t.Errorf("greet in the rootfs: exit %d, %q %q", code, stdout, stderr)
			}
		})
	}
}

// musl's loader has no cache but a path file, /etc/ld-musl-ARCH.path,
// that replaces its default path: a library found through it in a
// directory the default path lacks brings the file into the image, where
// the program then finds the library (run in a chroot).
func TestMuslPathFileWhenNeeded(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "musl-gcc", "/lib/ld-musl-x86_64.so.1")
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	testenv.CopyFile(t, "/lib/ld-musl-x86_64.so.1", filepath.Join(root, "lib/ld-musl-x86_64.so.1"))
	mkfile(t, dir, "greet.c", `const char *greeting(void) { return "hello from /opt/muslib"; }
`, 0o644)
	mkfile(t, dir, "main.c", `#include <stdio.h>
const char *greeting(void);
int main(void) { puts(greeting()); return 0; }
`, 0o644)
	os.MkdirAll(filepath.Join(root, "opt/muslib"), 0o755)
	os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755)
	testenv.CC(t, dir, "musl-gcc", "-shared", "-fPIC", "-Wl,-soname,libgreet.so.1", "-o", "root/opt/muslib/libgreet.so.1", "greet.c")
	testenv.CC(t, dir, "musl-gcc", "-o", "root/usr/bin/greet", "main.c", "-Lroot/opt/muslib", "-l:libgreet.so.1")
	mkfile(t, root, "etc/ld-musl-x86_64.path", "/opt/muslib\n/lib\n", 0o644)

	plan := collect(t, []string{"/usr/bin/greet"}, collector.WithRoot(newRoot(t, root)))
	if e := mustEntry(t, plan, "/etc/ld-musl-x86_64.path"); !hasReason(e, "libgreet.so.1 is in /opt/muslib") {
		t.Errorf("/etc/ld-musl-x86_64.path reasons %q", e.Reasons)
	}
	out := writeRootfs(t, plan)
	stdout, stderr, code := testenv.RunChroot(t, out, nil, "", "/usr/bin/greet")
	if code != 0 || string(stdout) != "hello from /opt/muslib\n" {
		t.Errorf("greet in the rootfs: exit %d, %q %q", code, stdout, stderr)
	}
}
