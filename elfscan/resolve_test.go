package elfscan_test

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/internal/oracle"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// The loader tests build small programs and libraries with gcc (and
// musl-gcc) in a temporary directory, resolve them with the emulation and
// ask the real loader (internal/oracle) the same question: the loader is
// the judge, not hand-written expectations.

const hostInterp = "/lib64/ld-linux-x86-64.so.2"

// A builder compiles test files into one temporary directory.
type builder struct {
	t   *testing.T
	dir string
	cc  string
}

func newBuilder(t *testing.T, cc string) *builder {
	t.Helper()
	testenv.NeedCommand(t, cc, hostInterp)
	// Resolve the temporary directory's symlinks so that paths compare.
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &builder{t: t, dir: dir, cc: cc}
}

// path is rel inside the build directory.
func (b *builder) path(rel string) string { return filepath.Join(b.dir, rel) }

func (b *builder) mkdir(rel string) string {
	b.t.Helper()
	p := b.path(rel)
	if err := os.MkdirAll(p, 0o755); err != nil {
		b.t.Fatal(err)
	}
	return p
}

func (b *builder) cc1(out string, args ...string) string {
	b.t.Helper()
	p := b.path(out)
	b.mkdir(filepath.Dir(out))
	src, err := filepath.Abs("../testdata/loader")
	if err != nil {
		b.t.Fatal(err)
	}
	args = append([]string{"-o", p, "-Wl,--no-as-needed"}, args...)
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "@SRC@", src)
		args[i] = strings.ReplaceAll(args[i], "@DIR@", b.dir)
	}
	cmd := exec.Command(b.cc, args...)
	cmd.Dir = b.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.t.Fatalf("%s %q: %v\n%s", b.cc, args, err, out)
	}
	return p
}

// lib builds the shared library out (relative to the build directory) with
// SONAME soname (none if empty); args are more link arguments.
func (b *builder) lib(out, soname string, args ...string) string {
	b.t.Helper()
	base := []string{"-shared", "-fPIC", "-DFN=fn_" + strings.NewReplacer(".", "_", "/", "_", "-", "_").Replace(out), "@SRC@/lib.c"}
	if soname != "" {
		base = append(base, "-Wl,-soname,"+soname)
	}
	return b.cc1(out, append(base, args...)...)
}

// exe builds the program out.
func (b *builder) exe(out string, args ...string) string {
	b.t.Helper()
	return b.cc1(out, append([]string{"@SRC@/main.c"}, args...)...)
}

func (b *builder) symlink(target, rel string) string {
	b.t.Helper()
	p := b.path(rel)
	b.mkdir(filepath.Dir(rel))
	if err := os.Symlink(target, p); err != nil {
		b.t.Fatal(err)
	}
	return p
}

func (b *builder) remove(rel string) {
	b.t.Helper()
	if err := os.Remove(b.path(rel)); err != nil {
		b.t.Fatal(err)
	}
}

// patch copies src to dst (relative paths) and applies edit to the bytes.
func (b *builder) patch(src, dst string, edit func([]byte)) string {
	b.t.Helper()
	data, err := os.ReadFile(b.path(src))
	if err != nil {
		b.t.Fatal(err)
	}
	edit(data)
	b.mkdir(filepath.Dir(dst))
	if err := os.WriteFile(b.path(dst), data, 0o755); err != nil {
		b.t.Fatal(err)
	}
	return b.path(dst)
}

// ELF header edits of a 64-bit little-endian file.
func setMachine(m elf.Machine) func([]byte) {
	return func(b []byte) { binary.LittleEndian.PutUint16(b[18:], uint16(m)) }
}
func setIdent(i int, v byte) func([]byte) { return func(b []byte) { b[i] = v } }
func stripSections(b []byte) {
	binary.LittleEndian.PutUint64(b[40:], 0) // e_shoff
	binary.LittleEndian.PutUint16(b[58:], 0) // e_shentsize
	binary.LittleEndian.PutUint16(b[60:], 0) // e_shnum
	binary.LittleEndian.PutUint16(b[62:], 0) // e_shstrndx
}

// outcome is what one side says for one root.
type outcome struct {
	paths   []string // real paths of the loaded files, root excluded, interpreter included
	missing []string // sorted, each once
}

func uniqSorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// emulate resolves p and returns what it loads.
func emulate(t *testing.T, r *elfscan.Resolver, p string) (outcome, *elfscan.Closure) {
	t.Helper()
	g, err := r.Resolve(p)
	if err != nil {
		t.Fatalf("Resolve(%s): %v", p, err)
	}
	c := g.Closures[0]
	var o outcome
	for _, x := range c.Objects[1:] {
		o.paths = append(o.paths, x.RealPath)
	}
	for _, m := range c.Missing {
		if m.Reason == "" {
			o.missing = append(o.missing, m.Name)
		}
	}
	o.missing = uniqSorted(o.missing)
	return o, c
}

// ask returns what the real loader loads for p.
func ask(t *testing.T, p string, opts oracle.Options) outcome {
	t.Helper()
	paths, missing, err := oracle.Ask(p, opts)
	if err != nil {
		t.Fatalf("oracle.Ask(%s): %v", p, err)
	}
	return outcome{paths: paths, missing: uniqSorted(missing)}
}

// withoutInterp drops the loader from a load order: glibc prints it where
// a library first needs it, the Graph right after the root.
func withoutInterp(paths []string, interp string) []string {
	var out []string
	for _, p := range paths {
		if p != interp {
			out = append(out, p)
		}
	}
	return out
}

// agree resolves p both ways and fails the test where they differ: the same
// files in the same order (the interpreter aside), the same missing names.
func agree(t *testing.T, r *elfscan.Resolver, p string, opts oracle.Options) (*elfscan.Closure, outcome) {
	t.Helper()
	got, c := emulate(t, r, p)
	want := ask(t, p, opts)
	// The loader of a library root is the default one, or for musl the
	// loader met as libc.
	interp := ""
	if real, err := filepath.EvalSymlinks(hostInterp); err == nil {
		interp = real
	}
	for _, o := range c.Objects {
		if o.Step == elfscan.StepInterp || o.Step == elfscan.StepLoader {
			interp = o.RealPath
		}
	}
	g, w := withoutInterp(got.paths, interp), withoutInterp(want.paths, interp)
	if !slices.Equal(g, w) {
		t.Errorf("%s loads\n  %s\nthe loader loads\n  %s", p, strings.Join(g, "\n  "), strings.Join(w, "\n  "))
	}
	if slices.Contains(got.paths, interp) != slices.Contains(want.paths, interp) && c.Interp == nil {
		t.Errorf("%s: interpreter %s loaded: emulation %v, loader %v", p, interp, slices.Contains(got.paths, interp), slices.Contains(want.paths, interp))
	}
	if !slices.Equal(got.missing, want.missing) {
		t.Errorf("%s: missing %q, the loader misses %q", p, got.missing, want.missing)
	}
	if t.Failed() {
		dump(t, c)
	}
	return c, got
}

func dump(t *testing.T, c *elfscan.Closure) {
	t.Helper()
	for _, o := range c.Objects {
		parent := "-"
		if o.Parent != nil {
			parent = o.Parent.Path
		}
		t.Logf("  %s => %s (%s, %s, dir %q) from %s", o.Name, o.Path, o.RealPath, o.Step, o.Dir, parent)
	}
	for _, m := range c.Missing {
		t.Logf("  missing %s by %s %s %s", m.Name, m.By.Path, m.Reason, m.Path)
	}
}

// objectNamed returns the object loaded for name.
func objectNamed(t *testing.T, c *elfscan.Closure, name string) *elfscan.Object {
	t.Helper()
	for _, o := range c.Objects {
		if o.Name == name {
			return o
		}
	}
	dump(t, c)
	t.Fatalf("no object for %s", name)
	return nil
}

func TestHostPrograms(t *testing.T) {
	if _, err := os.Stat(hostInterp); err != nil {
		t.Skip("no glibc loader")
	}
	r := elfscan.NewResolver()
	n := 0
	for _, p := range []string{"/bin/ls", "/bin/sh", "/usr/bin/ssh", "/usr/bin/python3", "/usr/bin/git", "/usr/bin/gpg", "/usr/bin/curl", "/usr/bin/perl", "/usr/sbin/ldconfig"} {
		f, err := elfscan.Open(elfscan.HostRoot(), p)
		if err != nil || f.Interp != hostInterp {
			continue
		}
		n++
		agree(t, r, p, oracle.Options{})
	}
	// A shared library as root: "ld.so FILE".
	for _, p := range []string{"/lib/x86_64-linux-gnu/libselinux.so.1", "/lib/x86_64-linux-gnu/libgssapi_krb5.so.2"} {
		if _, err := os.Stat(p); err == nil {
			n++
			agree(t, r, p, oracle.Options{})
		}
	}
	if n == 0 {
		t.Skip("no host program to compare")
	}
}

// RPATH is searched for the requester, then for its loader, and so on up
// to the executable: libq, needed by libb, is only in the executable's RPATH.
func TestRPathInherited(t *testing.T) {
	b := newBuilder(t, "gcc")
	b.lib("x/libq.so", "libq.so")
	b.lib("y/libb.so", "libb.so", "-L@DIR@/x", "-lq")
	b.lib("x/liba.so", "liba.so", "-L@DIR@/y", "-lb", "-Wl,--disable-new-dtags,-rpath,@DIR@/y")
	exe := b.exe("bin/prog", "-L@DIR@/x", "-la", "-Wl,--disable-new-dtags,-rpath,@DIR@/x")
	c, _ := agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	if o := objectNamed(t, c, "libq.so"); o.Step != elfscan.StepRPath || o.Parent.Name != "libb.so" || o.Dir != b.path("x") {
		t.Errorf("libq.so: step %s dir %s parent %s; want rpath, %s, libb.so", o.Step, o.Dir, o.Parent.Name, b.path("x"))
	}
}

// RUNPATH serves the object that has it, not its dependencies: libb, which
// liba needs, is only in the executable's RUNPATH and is not found.
func TestRunPathNotInherited(t *testing.T) {
	b := newBuilder(t, "gcc")
	b.lib("x/libb.so", "libb.so")
	b.lib("x/liba.so", "liba.so", "-L@DIR@/x", "-lb")
	exe := b.exe("bin/prog", "-L@DIR@/x", "-la", "-Wl,--enable-new-dtags,-rpath,@DIR@/x")
	c, got := agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	if !slices.Equal(got.missing, []string{"libb.so"}) {
		t.Errorf("missing %q, want libb.so", got.missing)
	}
	if o := objectNamed(t, c, "liba.so"); o.Step != elfscan.StepRunPath {
		t.Errorf("liba.so found by %s, want runpath", o.Step)
	}
}

// A requester with a RUNPATH uses no RPATH at all, not even its loaders':
// libb is in the executable's RPATH, but liba (which has a RUNPATH) needs
// it, so it is not found.
func TestRunPathDisablesRPath(t *testing.T) {
	b := newBuilder(t, "gcc")
	b.mkdir("empty")
	b.lib("x/libb.so", "libb.so")
	b.lib("x/liba.so", "liba.so", "-L@DIR@/x", "-lb", "-Wl,--enable-new-dtags,-rpath,@DIR@/empty")
	exe := b.exe("bin/prog", "-L@DIR@/x", "-la", "-Wl,--disable-new-dtags,-rpath,@DIR@/x")
	_, got := agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	if !slices.Equal(got.missing, []string{"libb.so"}) {
		t.Errorf("missing %q, want libb.so", got.missing)
	}
	// Without the RUNPATH, the inherited RPATH finds it.
	b.lib("x/liba.so", "liba.so", "-L@DIR@/x", "-lb")
	_, got = agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	if len(got.missing) != 0 {
		t.Errorf("missing %q, want nothing", got.missing)
	}
}

// Breadth-first loading: the executable's libq (from its RPATH) is loaded
// before liba's dependencies are looked at, so liba's request for libq is
// answered by that copy, though liba's own RPATH names another first.
func TestBreadthFirstReuse(t *testing.T) {
	b := newBuilder(t, "gcc")
	b.lib("one/libq.so", "libq.so")
	b.lib("two/libq.so", "libq.so")
	b.lib("one/liba.so", "liba.so", "-L@DIR@/two", "-lq", "-Wl,--disable-new-dtags,-rpath,@DIR@/two")
	exe := b.exe("bin/prog", "-L@DIR@/one", "-la", "-lq", "-Wl,--disable-new-dtags,-rpath,@DIR@/one")
	c, got := agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	if !slices.Contains(got.paths, b.path("one/libq.so")) || slices.Contains(got.paths, b.path("two/libq.so")) {
		t.Errorf("loads %q, want one/libq.so only", got.paths)
	}
	a := objectNamed(t, c, "liba.so")
	if len(a.Deps) == 0 || a.Deps[0] == nil || a.Deps[0].RealPath != b.path("one/libq.so") {
		t.Errorf("liba.so Deps = %v, want one/libq.so", a.Deps)
	}
}

// $ORIGIN of an executable started through a symlink is the directory of
// its real path.
func TestOriginThroughSymlink(t *testing.T) {
	b := newBuilder(t, "gcc")
	b.lib("real/lib/libo.so", "libo.so")
	b.lib("link/lib/libo.so", "libo.so")
	b.exe("real/bin/prog", "-L@DIR@/real/lib", "-lo", "-Wl,-rpath,$ORIGIN/../lib")
	link := b.symlink("../../real/bin/prog", "link/bin/prog")
	c, _ := agree(t, elfscan.NewResolver(), link, oracle.Options{})
	if o := objectNamed(t, c, "libo.so"); o.RealPath != b.path("real/lib/libo.so") {
		t.Errorf("libo.so is %s, want real/lib/libo.so", o.RealPath)
	}
}

// $LIB and ${PLATFORM} in a RUNPATH.
func TestLibAndPlatform(t *testing.T) {
	b := newBuilder(t, "gcc")
	host, err := oracle.Host(hostInterp)
	if err != nil {
		t.Fatal(err)
	}
	if host.Platform == "" {
		host.Platform = "x86_64"
	}
	b.lib("t/lib/x86_64-linux-gnu/liblib.so", "liblib.so")
	b.lib("t/"+host.Platform+"/libplat.so", "libplat.so")
	exe := b.exe("bin/prog", "-L@DIR@/t/lib/x86_64-linux-gnu", "-L@DIR@/t/"+host.Platform, "-llib", "-lplat",
		"-Wl,--enable-new-dtags,-rpath,@DIR@/t/$LIB:@DIR@/t/${PLATFORM}")
	c, _ := agree(t, elfscan.NewResolver(elfscan.WithATPlatform(host.Platform)), exe, oracle.Options{})
	for _, n := range []string{"liblib.so", "libplat.so"} {
		if o := objectNamed(t, c, n); o.Step != elfscan.StepRunPath {
			t.Errorf("%s found by %s, want runpath", n, o.Step)
		}
	}
}

// DF_1_NODEFLIB: neither the cache nor the default directories serve the
// object that has it; its dependencies still use them.
func TestNoDefLib(t *testing.T) {
	b := newBuilder(t, "gcc")
	b.lib("x/liba.so", "liba.so", "-lz")
	exe := b.exe("bin/prog", "-L@DIR@/x", "-la", "-Wl,-z,nodefaultlib", "-Wl,-rpath,@DIR@/x")
	_, got := agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	if !slices.Equal(got.missing, []string{"libc.so.6"}) {
		t.Errorf("missing %q, want libc.so.6 (the program has NODEFLIB)", got.missing)
	}
}

// A dependency cycle ends: each library answers to its SONAME.
func TestCycle(t *testing.T) {
	b := newBuilder(t, "gcc")
	b.lib("x/liba.so", "liba.so")
	b.lib("x/libb.so", "libb.so", "-L@DIR@/x", "-la")
	b.lib("x/liba.so", "liba.so", "-L@DIR@/x", "-lb")
	exe := b.exe("bin/prog", "-L@DIR@/x", "-la", "-Wl,--disable-new-dtags,-rpath,@DIR@/x")
	c, _ := agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	bo := objectNamed(t, c, "libb.so")
	if len(bo.Deps) == 0 || bo.Deps[0] != objectNamed(t, c, "liba.so") {
		t.Errorf("libb.so Deps %v, want liba.so", bo.Deps)
	}
}

// A library missing deep in the chain is reported with its requester.
func TestMissingDeep(t *testing.T) {
	b := newBuilder(t, "gcc")
	b.lib("x/libgone.so", "libgone.so")
	b.lib("x/libb.so", "libb.so", "-L@DIR@/x", "-lgone")
	b.lib("x/liba.so", "liba.so", "-L@DIR@/x", "-lb")
	exe := b.exe("bin/prog", "-L@DIR@/x", "-la", "-Wl,--disable-new-dtags,-rpath,@DIR@/x")
	b.remove("x/libgone.so")
	c, _ := agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	if len(c.Missing) != 1 {
		t.Fatalf("Missing = %v", c.Missing)
	}
	var chain []string
	for _, o := range c.Missing[0].By.Chain() {
		chain = append(chain, o.Name)
	}
	if want := []string{"libb.so", "liba.so", exe}; !slices.Equal(chain, want) {
		t.Errorf("chain %q, want %q", chain, want)
	}
}

// A library of another machine or class earlier in the search path is
// passed over silently.
func TestOtherMachineSkipped(t *testing.T) {
	b := newBuilder(t, "gcc")
	b.lib("good/libq.so", "libq.so")
	b.patch("good/libq.so", "arm/libq.so", setMachine(elf.EM_AARCH64))
	b.patch("good/libq.so", "c32/libq.so", setIdent(elf.EI_CLASS, byte(elf.ELFCLASS32)))
	exe := b.exe("bin/prog", "-L@DIR@/good", "-lq", "-Wl,--disable-new-dtags,-rpath,@DIR@/arm:@DIR@/c32:@DIR@/good")
	c, _ := agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	if o := objectNamed(t, c, "libq.so"); o.RealPath != b.path("good/libq.so") {
		t.Errorf("libq.so is %s", o.RealPath)
	}
}

// A file the loader cannot read stops it: another byte order, a file that
// is not ELF. The oracle reports the loader's error; the emulation names
// the file in Missing with the reason.
func TestUnloadableStops(t *testing.T) {
	b := newBuilder(t, "gcc")
	b.lib("good/libq.so", "libq.so")
	b.patch("good/libq.so", "be/libq.so", setIdent(elf.EI_DATA, byte(elf.ELFDATA2MSB)))
	b.mkdir("short")
	if err := os.WriteFile(b.path("short/libq.so"), []byte("INPUT(-lq)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.mkdir("script")
	script := "/* GNU ld script: a linker input, not something the loader can map */\nINPUT(-lq)\n"
	if err := os.WriteFile(b.path("script/libq.so"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"be", "short", "script"} {
		exe := b.exe("bin/prog-"+bad, "-L@DIR@/good", "-lq", "-Wl,--disable-new-dtags,-rpath,@DIR@/"+bad+":@DIR@/good")
		_, _, err := oracle.Ask(exe, oracle.Options{})
		var le *oracle.LoaderError
		if !errors.As(err, &le) {
			t.Fatalf("%s: the loader says %v, want an error", bad, err)
		}
		_, c := emulate(t, elfscan.NewResolver(), exe)
		if len(c.Missing) != 1 || c.Missing[0].Path != b.path(bad+"/libq.so") || c.Missing[0].Reason == "" {
			dump(t, c)
			t.Errorf("%s: Missing = %+v, want %s with a reason (the loader: %s)", bad, c.Missing, b.path(bad+"/libq.so"), strings.TrimSpace(le.Stderr))
		} else if !strings.Contains(le.Stderr, c.Missing[0].Reason) {
			t.Errorf("%s: reason %q, the loader says %q", bad, c.Missing[0].Reason, le.Stderr)
		}
	}
}

// DT_NEEDED names with a slash are opened as paths, relative ones from the
// working directory: gcc writes the path of a library without SONAME as
// given on the command line.
func TestNeededByPath(t *testing.T) {
	b := newBuilder(t, "gcc")
	abs := b.lib("abs/libabs.so", "")
	b.lib("rel/sub/librel.so", "")
	exe := b.exe("bin/prog", abs, "rel/sub/librel.so")
	f, err := elfscan.Open(elfscan.HostRoot(), exe)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(f.Needed, abs) || !slices.Contains(f.Needed, "rel/sub/librel.so") {
		t.Fatalf("DT_NEEDED %q: the trick did not work", f.Needed)
	}
	c, _ := agree(t, elfscan.NewResolver(elfscan.WithWorkDir(b.dir)), exe, oracle.Options{Dir: b.dir})
	for _, n := range []string{abs, "rel/sub/librel.so"} {
		if o := objectNamed(t, c, n); o.Step != elfscan.StepPath {
			t.Errorf("%s found by %s, want path", n, o.Step)
		}
	}
	// From another working directory the relative one is missing.
	_, got := agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	if !slices.Equal(got.missing, []string{"rel/sub/librel.so"}) {
		t.Errorf("missing %q", got.missing)
	}
}

// Files without section headers are read through their program headers.
func TestSectionHeadersStripped(t *testing.T) {
	b := newBuilder(t, "gcc")
	b.lib("x/orig/libq.so", "libq.so")
	b.patch("x/orig/libq.so", "x/libq.so", stripSections)
	b.lib("x/orig/liba.so", "liba.so", "-L@DIR@/x", "-lq", "-Wl,-rpath,$ORIGIN")
	b.patch("x/orig/liba.so", "x/liba.so", stripSections)
	b.exe("bin/orig", "-L@DIR@/x", "-la", "-Wl,-rpath,@DIR@/x")
	exe := b.patch("bin/orig", "bin/prog", stripSections)
	c, _ := agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	for _, o := range c.Objects[:1] {
		if o.File.SectionHeaders {
			t.Errorf("%s still has section headers", o.Path)
		}
	}
	if len(c.Objects) < 4 {
		t.Errorf("only %d objects", len(c.Objects))
	}
}

// LD_LIBRARY_PATH comes after RPATH and before RUNPATH.
func TestLibraryPath(t *testing.T) {
	b := newBuilder(t, "gcc")
	b.lib("rpath/libr.so", "libr.so")
	b.lib("llp/libr.so", "libr.so")
	b.lib("llp/libu.so", "libu.so")
	b.lib("runpath/libu.so", "libu.so")
	b.lib("x/liba.so", "liba.so", "-L@DIR@/runpath", "-lu", "-Wl,--enable-new-dtags,-rpath,@DIR@/runpath")
	exe := b.exe("bin/prog", "-L@DIR@/rpath", "-L@DIR@/x", "-lr", "-la", "-Wl,--disable-new-dtags,-rpath,@DIR@/rpath:@DIR@/x")
	llp := []string{b.path("llp")}
	c, _ := agree(t, elfscan.NewResolver(elfscan.WithLibraryPath(llp)), exe, oracle.Options{LibraryPath: llp})
	if o := objectNamed(t, c, "libr.so"); o.Step != elfscan.StepRPath {
		t.Errorf("libr.so by %s", o.Step)
	}
	if o := objectNamed(t, c, "libu.so"); o.Step != elfscan.StepLibraryPath {
		t.Errorf("libu.so by %s", o.Step)
	}
}

// glibc-hwcaps subdirectories: searched up to the selected level, and
// reported above it.
func TestHWCaps(t *testing.T) {
	b := newBuilder(t, "gcc")
	host, err := oracle.Host(hostInterp)
	if err != nil {
		t.Fatal(err)
	}
	if len(host.HWCaps) == 0 {
		t.Skip("this CPU has no glibc-hwcaps level")
	}
	best := host.HWCaps[0]
	lowest := host.HWCaps[len(host.HWCaps)-1]
	b.lib("x/libq.so", "libq.so")
	b.lib("x/glibc-hwcaps/"+lowest+"/libq.so", "libq.so")
	exe := b.exe("bin/prog", "-L@DIR@/x", "-lq", "-Wl,-rpath,@DIR@/x")
	c, _ := agree(t, elfscan.NewResolver(elfscan.WithHWCaps(best)), exe, oracle.Options{})
	if o := objectNamed(t, c, "libq.so"); o.HWCaps != lowest {
		t.Errorf("libq.so from hwcaps %q, want %s", o.HWCaps, lowest)
	}
	_, c = emulate(t, elfscan.NewResolver(), exe)
	o := objectNamed(t, c, "libq.so")
	if o.RealPath != b.path("x/libq.so") || !slices.Equal(c.HWCapsVariants[o.Path], []string{lowest}) {
		t.Errorf("baseline: %s, variants %v", o.RealPath, c.HWCapsVariants)
	}
}

// Tokens glibc does not know stay as they are written: "$FOO" is a
// directory name.
func TestUnknownToken(t *testing.T) {
	b := newBuilder(t, "gcc")
	b.lib("x/$FOO/libq.so", "libq.so")
	exe := b.exe("bin/prog", "-L@DIR@/x/$FOO", "-lq", "-Wl,-rpath,@DIR@/x/$FOO")
	c, _ := agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	if o := objectNamed(t, c, "libq.so"); o.Step != elfscan.StepRunPath && o.Step != elfscan.StepRPath {
		t.Errorf("libq.so by %s", o.Step)
	}
}

// An empty RPATH element is the working directory.
func TestEmptyPathElement(t *testing.T) {
	b := newBuilder(t, "gcc")
	b.lib("cwd/libq.so", "libq.so")
	exe := b.exe("bin/prog", "-L@DIR@/cwd", "-lq", "-Wl,--disable-new-dtags,-rpath,/nonexistent::/nonexistent2")
	c, _ := agree(t, elfscan.NewResolver(elfscan.WithWorkDir(b.path("cwd"))), exe, oracle.Options{Dir: b.path("cwd")})
	if o := objectNamed(t, c, "libq.so"); o.Step != elfscan.StepRPath {
		t.Errorf("libq.so by %s", o.Step)
	}
}

// A shared library given as root: "ld.so FILE", with $ORIGIN the directory
// of the path as given.
func TestLibraryRoot(t *testing.T) {
	b := newBuilder(t, "gcc")
	b.lib("real/sub/libb.so", "libb.so")
	b.lib("link/sub/libb.so", "libb.so")
	b.lib("real/liba.so", "liba.so", "-L@DIR@/real/sub", "-lb", "-Wl,-rpath,$ORIGIN/sub")
	link := b.symlink("../real/liba.so", "link/liba.so")
	c, _ := agree(t, elfscan.NewResolver(), link, oracle.Options{})
	if o := objectNamed(t, c, "libb.so"); o.RealPath != b.path("link/sub/libb.so") {
		t.Errorf("libb.so is %s, want link/sub/libb.so", o.RealPath)
	}
}

// musl: libc and its siblings are the loader; the search is musl's.
func TestMusl(t *testing.T) {
	b := newBuilder(t, "musl-gcc")
	testenv.NeedCommand(t, "/lib/ld-musl-x86_64.so.1")
	b.lib("x/libq.so", "libq.so")
	b.lib("x/liba.so", "liba.so", "-L@DIR@/x", "-lq", "-lm", "-Wl,-rpath,$ORIGIN")
	b.lib("x/libgone.so", "libgone.so")
	exe := b.exe("bin/prog", "-L@DIR@/x", "-la", "-lgone", "-lm", "-lpthread", "-Wl,-rpath,@DIR@/x")
	b.remove("x/libgone.so")
	c, _ := agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	if c.Flavor != elfscan.FlavorMusl || c.Interp == nil {
		t.Fatalf("flavor %s interp %v", c.Flavor, c.Interp)
	}
	if len(c.Objects) != 4 {
		t.Errorf("%d objects, want prog, loader, liba, libq", len(c.Objects))
	}
}

// placeholder is a SONAME long enough to be replaced, in the DT_NEEDED
// string of a program linked against it, by any name: how the tests get
// DT_NEEDED entries gcc would not write.
const placeholder = "libplaceholder_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.so"

// neededAs builds a program that needs name, by patching its string table.
func (b *builder) neededAs(out, name string, args ...string) string {
	b.t.Helper()
	b.lib("placeholder/"+placeholder, placeholder)
	orig := b.exe(out+".orig", append([]string{"-L@DIR@/placeholder", "-l:" + placeholder}, args...)...)
	return b.patch(filepath.Base(filepath.Dir(orig))+"/"+filepath.Base(orig), out, func(data []byte) {
		if strings.Count(string(data), placeholder) != 1 || len(name) > len(placeholder) {
			b.t.Fatalf("cannot patch %s", orig)
		}
		i := strings.Index(string(data), placeholder)
		copy(data[i:], name+strings.Repeat("\x00", len(placeholder)-len(name)))
	})
}

// DT_NEEDED with a token and a slash: expanded, then opened as a path.
func TestNeededWithOrigin(t *testing.T) {
	b := newBuilder(t, "gcc")
	b.lib("lib/libq.so", "libq.so")
	exe := b.neededAs("bin/prog", "$ORIGIN/../lib/libq.so")
	c, _ := agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	if o := objectNamed(t, c, b.path("bin")+"/../lib/libq.so"); o.Step != elfscan.StepPath || o.Path != b.path("lib/libq.so") {
		t.Errorf("libq.so: %s by %s", o.Path, o.Step)
	}
}

// The loader named by another path than PT_INTERP is loaded again: glibc
// keeps no file id for itself, so the device/inode check does not catch it.
func TestInterpByAnotherPath(t *testing.T) {
	b := newBuilder(t, "gcc")
	other := "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
	if real, err := filepath.EvalSymlinks(hostInterp); err != nil || real != other {
		t.Skipf("%s is not %s here", hostInterp, other)
	}
	exe := b.neededAs("bin/prog", other)
	got, c := emulate(t, elfscan.NewResolver(), exe)
	want := ask(t, exe, oracle.Options{})
	if len(got.paths) != len(want.paths) || !slices.Equal(uniqSorted(got.paths), uniqSorted(want.paths)) {
		dump(t, c)
		t.Errorf("loads %q, the loader %q", got.paths, want.paths)
	}
	if n := strings.Count(strings.Join(got.paths, "\n"), other); n != 2 {
		t.Errorf("the loader is loaded %d times, want 2", n)
	}
}

// copyReal copies the host file src, symlinks resolved, to dst in root.
func copyReal(t *testing.T, src, root, dst string) {
	t.Helper()
	real, err := filepath.EvalSymlinks(src)
	if err != nil {
		t.Fatal(err)
	}
	testenv.CopyFile(t, real, filepath.Join(root, dst))
}

// A root with its own ld.so.cache, built by ldconfig -r from its
// ld.so.conf, against its loader run in a chroot: the cache step, its
// glibc-hwcaps entries, DF_1_NODEFLIB's prefix rule for cache entries, and
// WithLdSoConf predicting what the cache will say before ldconfig runs.
func TestCacheInRoot(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "ldconfig")
	b := newBuilder(t, "gcc")
	host, err := oracle.Host(hostInterp)
	if err != nil {
		t.Fatal(err)
	}
	root := b.mkdir("root")
	copyReal(t, "/lib/x86_64-linux-gnu/libc.so.6", root, "lib/x86_64-linux-gnu/libc.so.6")
	copyReal(t, hostInterp, root, "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
	b.symlink("../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "root/lib64/ld-linux-x86-64.so.2")
	b.lib("root/opt/lib/libq.so.1", "libq.so.1")
	if len(host.HWCaps) > 0 {
		b.lib("root/opt/lib/glibc-hwcaps/"+host.HWCaps[len(host.HWCaps)-1]+"/libq.so.1", "libq.so.1")
	}
	b.exe("root/bin/prog", "-L@DIR@/root/opt/lib", "-l:libq.so.1")
	b.exe("root/bin/nodeflib", "-L@DIR@/root/opt/lib", "-l:libq.so.1", "-Wl,-z,nodefaultlib")
	b.mkdir("root/etc")
	if err := os.WriteFile(b.path("root/etc/ld.so.conf"), []byte("/opt/lib\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := elfscan.NewRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	var levels []elfscan.Option
	if len(host.HWCaps) > 0 {
		levels = append(levels, elfscan.WithHWCaps(host.HWCaps[0]))
	}
	opts := oracle.Options{Sysroot: root}
	resolver := func(more ...elfscan.Option) *elfscan.Resolver {
		return elfscan.NewResolver(append(append([]elfscan.Option{elfscan.WithRoot(r)}, levels...), more...)...)
	}

	// Without a cache, /opt/lib is not searched, whatever ld.so.conf says.
	_, got := agree(t, resolver(), "/bin/prog", opts)
	if !slices.Equal(got.missing, []string{"libq.so.1"}) {
		t.Errorf("no cache: missing %q, want libq.so.1", got.missing)
	}
	predicted, _ := emulate(t, resolver(elfscan.WithLdSoConf(true)), "/bin/prog")

	if out, err := exec.Command("ldconfig", "-r", root).CombinedOutput(); err != nil {
		t.Fatalf("ldconfig -r: %v\n%s", err, out)
	}
	c, got := agree(t, resolver(), "/bin/prog", opts)
	if o := objectNamed(t, c, "libq.so.1"); o.Step != elfscan.StepCache {
		t.Errorf("libq.so.1 by %s, want ld.so.cache", o.Step)
	}
	if !slices.Equal(predicted.paths, got.paths) || !slices.Equal(predicted.missing, got.missing) {
		t.Errorf("WithLdSoConf predicted %v %q, the cache gives %v %q", predicted.paths, predicted.missing, got.paths, got.missing)
	}
	// NODEFLIB: the cache entry of /opt/lib is still used, that of libc
	// (under a default directory) is not.
	_, got = agree(t, resolver(), "/bin/nodeflib", opts)
	if !slices.Equal(got.missing, []string{"libc.so.6"}) {
		t.Errorf("nodeflib: missing %q, want libc.so.6", got.missing)
	}
}

// musl's search: a RUNPATH serves the whole loader chain (unlike glibc),
// an RPATH with a token other than $ORIGIN is ignored whole, and the names
// musl answers itself are exactly its reserved ones.
func TestMuslSearch(t *testing.T) {
	b := newBuilder(t, "musl-gcc")
	testenv.NeedCommand(t, "/lib/ld-musl-x86_64.so.1")
	b.lib("x/libb.so", "libb.so")
	b.lib("x/liba.so", "liba.so", "-L@DIR@/x", "-lb")
	exe := b.exe("bin/chain", "-L@DIR@/x", "-la", "-Wl,--enable-new-dtags,-rpath,@DIR@/x")
	c, got := agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	if len(got.missing) != 0 {
		t.Errorf("chain: missing %q", got.missing)
	}
	if o := objectNamed(t, c, "libb.so"); o.Step != elfscan.StepRunPath || o.Parent.Name != "liba.so" {
		t.Errorf("libb.so by %s from %s", o.Step, o.Parent.Name)
	}

	exe = b.exe("bin/token", "-L@DIR@/x", "-la", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../x:${LIB}")
	_, got = agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	if !slices.Equal(got.missing, []string{"liba.so"}) {
		t.Errorf("token: missing %q, want liba.so", got.missing)
	}

	for _, name := range []string{"libcrypt.so.1", "libutil.so.1", "libc.musl-x86_64.so.1", "libm.so.6", "libcx.so"} {
		exe := b.neededAs("bin/needs-"+name, name)
		agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	}
	// A musl library as root ("ld-musl --list FILE"): its libc is the
	// loader, found as the loader of its programs.
	b.lib("y/libr.so", "libr.so", "-L@DIR@/x", "-la", "-Wl,-rpath,@DIR@/x")
	c, _ = agree(t, elfscan.NewResolver(), b.path("y/libr.so"), oracle.Options{})
	if c.Flavor != elfscan.FlavorMusl || objectNamed(t, c, "/lib/ld-musl-x86_64.so.1").Step != elfscan.StepLoader {
		t.Errorf("musl library root: flavor %s", c.Flavor)
	}
}

// $ORIGIN of a library is the directory it was found in, as written, and
// ".." after a symlinked directory goes up from where the link leads, as
// the kernel walks it: lexical cleaning would name another file.
func TestOriginDotDotAfterSymlink(t *testing.T) {
	b := newBuilder(t, "gcc")
	b.lib("deep/sub/libq.so", "libq.so")
	b.lib("sub/libq.so", "libq.so")
	b.lib("deep/real/liba.so", "liba.so", "-L@DIR@/sub", "-lq", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../sub")
	b.symlink("deep/real", "link")
	exe := b.exe("bin/prog", "-L@DIR@/link", "-la", "-Wl,--enable-new-dtags,-rpath,@DIR@/link")
	c, _ := agree(t, elfscan.NewResolver(), exe, oracle.Options{})
	o := objectNamed(t, c, "libq.so")
	if o.RealPath != b.path("deep/sub/libq.so") || o.Path != b.path("link")+"/../sub/libq.so" {
		t.Errorf("libq.so at %s (%s), want %s/../sub/libq.so", o.Path, o.RealPath, b.path("link"))
	}
}
