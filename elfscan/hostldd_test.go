package elfscan

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// realPaths is the set of real paths of a closure's objects.
func realPaths(c *Closure) []string {
	var out []string
	for _, o := range c.Objects {
		out = append(out, o.RealPath)
	}
	slices.Sort(out)
	return out
}

func TestHostLoaderCurl(t *testing.T) {
	const curl = "/usr/bin/curl"
	if _, err := os.Stat(curl); err != nil {
		testenv.Unavailable(t, "%s: %v", curl, err)
	}
	g, err := NewResolver().ResolveWithHostLoader(curl, "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2")
	if err != nil {
		t.Fatal(err)
	}
	c := g.Closures[0]
	if c.Root.Path != curl || c.Root.Step != StepRoot || c.Interp == nil || c.Objects[1] != c.Interp ||
		c.Interp.Path != "/lib64/ld-linux-x86-64.so.2" || c.Interp.Step != StepInterp {
		t.Fatalf("root %+v interp %+v", c.Root, c.Interp)
	}
	if len(c.Missing) != 0 {
		t.Errorf("missing %+v", c.Missing)
	}
	byName := map[string]*Object{}
	for _, o := range c.Objects[2:] {
		byName[o.Name] = o
		if o.Step != StepHostLoader || o.Parent == nil || o.File == nil || o.Dir != filepath.Dir(o.Path) {
			t.Errorf("object %+v", o)
		}
	}
	curlLib, libc := byName["libcurl.so.4"], byName["libc.so.6"]
	if curlLib == nil || libc == nil || curlLib.Parent != c.Root || !strings.HasPrefix(libc.RealPath, "/usr/lib/x86_64-linux-gnu/") {
		t.Fatalf("libcurl %+v libc %+v", curlLib, libc)
	}
	if len(c.Objects) < 20 {
		t.Errorf("only %d objects: %v", len(c.Objects), realPaths(c))
	}
	// libc.so.6 as a root: a library with PT_INTERP; its DT_NEEDED is the
	// loader, which is not its interpreter in a library's closure.
	lc := g.Closures[1]
	if lc.Root.File.Kind != KindShared || len(lc.Objects) != 2 || lc.Objects[1].RealPath != "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" {
		t.Errorf("libc.so.6: %v (interp %+v)", realPaths(lc), lc.Interp)
	}
	if ld := g.Closures[2]; len(ld.Objects) != 1 {
		t.Errorf("ld.so: %v", realPaths(ld))
	}
}

func TestHostLoaderMissingAndStatic(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.c")
	if err := os.WriteFile(src, []byte("int f(void);\nint main(void) { return f(); }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(dir, "f.c")
	if err := os.WriteFile(lib, []byte("int f(void) { return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.BuildC(t, dir, "libf.so.1", lib, "-shared", "-fPIC", "-Wl,-soname,libf.so.1")
	prog := testenv.BuildC(t, dir, "prog", src, "-L"+dir, "-l:libf.so.1")
	static := testenv.BuildC(t, dir, "static", src, "-static", "-L"+dir, lib)
	if err := os.Remove(filepath.Join(dir, "libf.so.1")); err != nil {
		t.Fatal(err)
	}
	g, err := NewResolver().ResolveWithHostLoader(prog, static)
	if err != nil {
		t.Fatal(err)
	}
	c := g.Closures[0]
	if len(c.Missing) != 1 || c.Missing[0].Name != "libf.so.1" || c.Missing[0].By != c.Root {
		t.Errorf("missing %+v", c.Missing)
	}
	if s := g.Closures[1]; len(s.Objects) != 1 || s.Interp != nil || s.Root.File.Kind != KindStatic {
		t.Errorf("static: %v", realPaths(s))
	}
	// LD_LIBRARY_PATH from WithLibraryPath reaches the loader.
	testenv.BuildC(t, dir, "libf.so.1", lib, "-shared", "-fPIC", "-Wl,-soname,libf.so.1")
	if err := os.Rename(filepath.Join(dir, "libf.so.1"), filepath.Join(dir, "sub", "libf.so.1")); err != nil {
		if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "libf.so.1"), filepath.Join(dir, "sub", "libf.so.1")); err != nil {
			t.Fatal(err)
		}
	}
	g, err = NewResolver(WithLibraryPath([]string{filepath.Join(dir, "sub")})).ResolveWithHostLoader(prog)
	if err != nil {
		t.Fatal(err)
	}
	if c := g.Closures[0]; len(c.Missing) != 0 || !slices.Contains(realPaths(c), filepath.Join(dir, "sub", "libf.so.1")) {
		t.Errorf("with LD_LIBRARY_PATH: %v, missing %+v", realPaths(c), c.Missing)
	}
}

func TestHostLoaderMusl(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "m.c")
	if err := os.WriteFile(src, []byte("#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	prog := testenv.BuildMuslC(t, dir, "m", src)
	g, err := NewResolver().ResolveWithHostLoader(prog)
	if err != nil {
		t.Fatal(err)
	}
	c := g.Closures[0]
	if c.Interp == nil || c.Interp.Path != "/lib/ld-musl-x86_64.so.1" || len(c.Objects) != 2 || len(c.Missing) != 0 {
		t.Errorf("musl: %v interp %+v missing %+v", realPaths(c), c.Interp, c.Missing)
	}
}

// TestHostLoaderRefuses: never run an unknown interpreter, never look
// outside the host.
func TestHostLoaderRefuses(t *testing.T) {
	dir := t.TempDir()
	for name, interp := range map[string]string{
		"elsewhere": dir + "/ld-linux-x86-64.so.2",
		"evil":      "/lib64/evil.so",
		"shell":     "/bin/sh",
		"foreign":   "/lib/ld-linux-aarch64.so.1",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, writeELF(testELF{Interp: interp, Needed: []string{"libc.so.6"}}), 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := NewResolver().ResolveWithHostLoader(p)
		if err == nil || !strings.Contains(err.Error(), interp) {
			t.Errorf("%s (interpreter %s): error %v", name, interp, err)
		}
	}
	root, err := NewRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewResolver(WithRoot(root)).ResolveWithHostLoader("/evil"); err == nil || !strings.Contains(err.Error(), "host") {
		t.Errorf("a non-host root: error %v", err)
	}
}

// TestHostLoaderAgreesWithEmulation: for every dynamic program in
// /usr/bin, the host loader's closure and the emulation's hold the same
// real paths and missing names.
func TestHostLoaderAgreesWithEmulation(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the loader for every program in /usr/bin")
	}
	programs := usrBinPrograms(t)
	r := NewResolver()
	hg, err := r.ResolveWithHostLoader(programs...)
	if err != nil {
		t.Fatal(err)
	}
	set := func(c *Closure) []string {
		s := realPaths(c)
		for _, m := range c.Missing {
			s = append(s, "missing "+m.Name)
		}
		return slices.Compact(s)
	}
	// The emulation's default is the baseline hwcaps level; the real loader
	// picks this CPU's. That is the only expected difference: paths are
	// compared without their glibc-hwcaps/LEVEL part.
	hwcaps := regexp.MustCompile(`/glibc-hwcaps/[^/]+`)
	base := func(s []string) []string {
		out := make([]string, len(s))
		for i, p := range s {
			out[i] = hwcaps.ReplaceAllString(p, "")
		}
		slices.Sort(out)
		return out
	}
	bad := 0
	for i, p := range programs {
		g, err := r.Resolve(p)
		if err != nil {
			t.Fatal(err)
		}
		if emu, host := set(g.Closures[0]), set(hg.Closures[i]); !slices.Equal(base(emu), base(host)) {
			bad++
			t.Errorf("%s:\nemulated %q\nloader   %q", p, emu, host)
		}
	}
	t.Logf("%d programs, %d differ", len(programs), bad)
}
