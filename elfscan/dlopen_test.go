package elfscan_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// ResolveDlopen against the real loader: a program that dlopens names
// (found through its RUNPATH, the cache, or already loaded), one of which
// brings a library through its own RUNPATH, and one that does not exist;
// the program prints what it then has loaded.
func TestResolveDlopen(t *testing.T) {
	testenv.NeedCommand(t, "gcc")
	dir := t.TempDir()
	src, _ := filepath.Abs("../testdata/dlopen")
	for _, d := range []string{"bin", "lib/deps"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	testenv.CC(t, dir, "gcc", "-shared", "-fPIC", "-Wl,-soname,libdep.so.1", "-o", "lib/deps/libdep.so.1", filepath.Join(src, "dep.c"))
	testenv.CC(t, dir, "gcc", "-shared", "-fPIC", "-o", "lib/libplug.so", filepath.Join(src, "plug.c"),
		"-Llib/deps", "-l:libdep.so.1", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/deps")
	testenv.CC(t, dir, "gcc", "-o", "bin/opener", filepath.Join(src, "opener.c"), "-ldl", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib")
	opener := filepath.Join(dir, "bin/opener")
	names := []string{"libplug.so", "libm.so.6", "libc.so.6", "libnope.so.9"}

	out, err := exec.Command(opener, names...).Output()
	if err != nil {
		t.Fatalf("%s: %v", opener, err)
	}
	// dl_iterate_phdr names the program itself "".
	want, wantMissing := []string{opener}, []string(nil)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if p, ok := strings.CutPrefix(line, "loaded "); ok {
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, real)
		} else if n, ok := strings.CutPrefix(line, "missing "); ok {
			wantMissing = append(wantMissing, n)
		}
	}

	var calls []elfscan.DlopenCall
	for _, n := range names {
		calls = append(calls, elfscan.DlopenCall{Name: n})
	}
	c, err := elfscan.NewResolver().ResolveDlopen(opener, calls...)
	if err != nil {
		t.Fatal(err)
	}
	var got, gotMissing []string
	dlopened := map[string]bool{}
	for _, o := range c.Objects {
		got = append(got, o.RealPath)
		dlopened[o.Name] = o.Dlopened
	}
	for _, m := range c.Missing {
		gotMissing = append(gotMissing, m.Name)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) || !slices.Equal(gotMissing, wantMissing) {
		t.Errorf("ResolveDlopen gives\n  %q, missing %q\nthe loader loads\n  %q, missing %q", got, gotMissing, want, wantMissing)
	}
	// Objects a call loaded are marked; libc was loaded at start-up.
	if !dlopened["libplug.so"] || !dlopened["libm.so.6"] || dlopened["libc.so.6"] || dlopened["libdep.so.1"] {
		t.Errorf("Dlopened marks: %v", dlopened)
	}

	// A caller that is not in the closure is an error naming it.
	if _, err := elfscan.NewResolver().ResolveDlopen(opener, elfscan.DlopenCall{By: "/nowhere.so", Name: "libm.so.6"}); err == nil || !strings.Contains(err.Error(), "/nowhere.so") {
		t.Errorf("unknown caller: %v", err)
	}
}
