package testenv_test

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// helloRootfs builds testdata/hello.c statically into an otherwise empty
// rootfs and returns the rootfs.
func helloRootfs(t *testing.T) string {
	t.Helper()
	rootfs := t.TempDir()
	testenv.BuildC(t, t.TempDir(), filepath.Join(rootfs, "hello"), "testdata/hello.c", "-static", "-O2")
	return rootfs
}

// checkHello checks what hello printed and its exit status.
func checkHello(t *testing.T, how string, stdout, stderr []byte, exit int, want ...string) {
	t.Helper()
	if exit != 3 {
		t.Errorf("%s: exit %d, want 3\nstdout:\n%s\nstderr:\n%s", how, exit, stdout, stderr)
	}
	lines := strings.Split(string(stdout), "\n")
	for _, w := range want {
		if !slices.Contains(lines, w) {
			t.Errorf("%s: no line %q in stdout:\n%s", how, w, stdout)
		}
	}
	if string(stderr) != "to stderr\n" {
		t.Errorf("%s: stderr %q, want %q", how, stderr, "to stderr\n")
	}
}

func TestRunHost(t *testing.T) {
	rootfs := helloRootfs(t)
	written := filepath.Join(t.TempDir(), "written")
	stdout, stderr, exit := testenv.RunHost(t, []string{"A=1", "WRITE=" + written}, "input",
		filepath.Join(rootfs, "hello"), "x y")
	checkHello(t, "host", stdout, stderr, exit,
		"arg x y", "env A=1", "env WRITE="+written, "stdin input", "devnull ok", "proc ok", "write ok")
	if bytes.Contains(stdout, []byte("env PATH=")) {
		t.Errorf("RunHost leaked the test's environment:\n%s", stdout)
	}
}

func TestRunChroot(t *testing.T) {
	rootfs := helloRootfs(t)
	before := testenv.TreeDigest(t, rootfs)
	stdout, stderr, exit := testenv.RunChroot(t, rootfs, []string{"A=1", "WRITE=/written"}, "input", "/hello", "x y")
	checkHello(t, "chroot", stdout, stderr, exit,
		"arg x y", "env A=1", "env WRITE=/written", "stdin input", "devnull ok", "proc ok", "pid 1", "write ok")
	if lines := strings.Count(string(stdout), "env "); lines != 2 {
		t.Errorf("chroot: %d environment variables, want 2:\n%s", lines, stdout)
	}
	if after := testenv.TreeDigest(t, rootfs); after != before {
		t.Errorf("RunChroot changed the rootfs:\n%s", strings.Join(testenv.TreeList(t, rootfs), "\n"))
	}

	// A missing program is the program's failure (chroot's 127), not the
	// test machine's.
	_, stderr, exit = testenv.RunChroot(t, rootfs, nil, "", "/nope")
	if exit != 127 {
		t.Errorf("missing program: exit %d, want 127 (%s)", exit, stderr)
	}
}

func TestRunRunc(t *testing.T) {
	rootfs := helloRootfs(t)
	before := testenv.TreeDigest(t, rootfs)
	stdout, stderr, exit := testenv.RunRunc(t, rootfs, []string{"A=1", "WRITE=/written"}, "input", "/hello", "x y")
	checkHello(t, "runc", stdout, stderr, exit,
		"arg x y", "env A=1", "env WRITE=/written", "stdin input", "devnull ok", "proc ok", "pid 1", "write ok")
	if after := testenv.TreeDigest(t, rootfs); after != before {
		t.Errorf("RunRunc changed the rootfs:\n%s", strings.Join(testenv.TreeList(t, rootfs), "\n"))
	}
}

// TestRunChrootMusl runs a dynamic musl program with its loader copied in.
func TestRunChrootMusl(t *testing.T) {
	rootfs := t.TempDir()
	testenv.BuildMuslC(t, t.TempDir(), filepath.Join(rootfs, "hello"), "testdata/hello.c")
	testenv.CopyFile(t, "/lib/ld-musl-x86_64.so.1", filepath.Join(rootfs, "lib/ld-musl-x86_64.so.1"))
	stdout, stderr, exit := testenv.RunChroot(t, rootfs, nil, "", "/hello")
	checkHello(t, "musl", stdout, stderr, exit, "devnull ok", "proc ok")
}

func TestTreeDigest(t *testing.T) {
	dir := t.TempDir()
	write := func(path, content string, mode os.FileMode) {
		t.Helper()
		path = filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("usr/bin/prog", "program", 0o755)
	write("etc/passwd", "root:x:0:0::/:/bin/sh\n", 0o644)
	if err := os.Symlink("usr/bin", filepath.Join(dir, "bin")); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"l bin -> usr/bin",
		"d 0755 etc",
		"f 0644 etc/passwd sha256:",
		"d 0755 usr",
		"d 0755 usr/bin",
		"f 0755 usr/bin/prog sha256:",
	}
	got := testenv.TreeList(t, dir)
	if len(got) != len(want) {
		t.Fatalf("TreeList:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("TreeList line %d: %q, want %q…", i, got[i], want[i])
		}
	}

	digest := testenv.TreeDigest(t, dir)
	copied := t.TempDir()
	testenv.CopyTree(t, dir, copied)
	if d := testenv.TreeDigest(t, copied); d != digest {
		t.Errorf("copy has digest %s, original %s", d, digest)
	}
	for _, change := range []func(){
		func() { write("usr/bin/prog", "program", 0o755|os.ModeSetuid) },
		func() { write("usr/bin/prog", "Program", 0o755) },
		func() { os.Remove(filepath.Join(dir, "bin")); os.Symlink("usr/sbin", filepath.Join(dir, "bin")) },
		func() { os.Rename(filepath.Join(dir, "etc/passwd"), filepath.Join(dir, "etc/group")) },
		func() { write("etc/empty", "", 0o644) },
	} {
		change()
		d := testenv.TreeDigest(t, dir)
		if d == digest {
			t.Errorf("digest did not change:\n%s", strings.Join(testenv.TreeList(t, dir), "\n"))
		}
		digest = d
	}
}

func TestName(t *testing.T) {
	a, b := testenv.Name(t), testenv.Name(t)
	if a == b || !regexp.MustCompile(`^testname-[0-9a-f]{8}$`).MatchString(a) {
		t.Errorf("Name gave %q and %q", a, b)
	}
}

// helloImage is an image of the static hello program.
func helloImage(t *testing.T) v1.Image {
	t.Helper()
	prog, err := os.ReadFile(filepath.Join(helloRootfs(t), "hello"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "hello", Mode: 0o755, Size: int64(len(prog)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write(prog)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(buf.Bytes())), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Entrypoint = []string{"/hello"}
	cf.Config.Env = []string{"A=1"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestDocker(t *testing.T) {
	testenv.NeedDocker(t)
	img := helloImage(t)
	ref, err := name.NewTag(testenv.Name(t) + ":latest")
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "image.tar")
	if err := tarball.WriteToFile(archive, ref, img); err != nil {
		t.Fatal(err)
	}
	if out, errOut, exit := testenv.Docker(t, "load", "-i", archive); exit != 0 {
		t.Fatalf("docker load: exit %d\n%s%s", exit, out, errOut)
	}
	t.Cleanup(func() { testenv.Docker(t, "rmi", ref.String()) })
	stdout, stderr, exit := testenv.Docker(t, "run", "--rm", "--network", "none", ref.String(), "x")
	checkHello(t, "docker", stdout, stderr, exit, "arg x", "env A=1", "devnull ok", "proc ok", "pid 1")
}

func TestRegistry(t *testing.T) {
	registry := testenv.NeedRegistry(t)
	img := helloImage(t)
	ref, err := name.NewTag(registry+"/"+testenv.Name(t)+":v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("push to %s: %v", ref, err)
	}
	got, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("pull from %s: %v", ref, err)
	}
	want, _ := img.Digest()
	if d, _ := got.Digest(); d != want {
		t.Errorf("pulled digest %s, pushed %s", d, want)
	}

	// The daemon pulls from the registry too (127.0.0.0/8 is insecure to it).
	testenv.NeedDocker(t)
	t.Cleanup(func() { testenv.Docker(t, "rmi", ref.String()) })
	if out, errOut, exit := testenv.Docker(t, "pull", "-q", ref.String()); exit != 0 {
		t.Fatalf("docker pull: exit %d\n%s%s", exit, out, errOut)
	}
	stdout, stderr, exit := testenv.Docker(t, "run", "--rm", "--network", "none", ref.String())
	checkHello(t, "docker from registry", stdout, stderr, exit, "env A=1", "pid 1")
}

// ldTrace runs the arm64 or amd64 loader of sysroot in trace mode on prog
// and returns its output.
func ldTrace(t *testing.T, sysroot, loader, prog string) string {
	t.Helper()
	stdout, stderr, exit := testenv.RunChroot(t, sysroot, nil, "",
		"/usr/bin/env", "-i", "LD_TRACE_LOADED_OBJECTS=1", loader, prog)
	if exit != 0 {
		t.Errorf("%s %s: exit %d\n%s%s", loader, prog, exit, stdout, stderr)
	}
	return string(stdout)
}

func checkSysroot(t *testing.T, sysroot, loader, libdir string) {
	t.Helper()
	out := ldTrace(t, sysroot, loader, "/bin/ls")
	if !strings.Contains(out, "libc.so.6 => /lib/"+libdir+"/libc.so.6") {
		t.Errorf("ls does not load libc from the sysroot:\n%s", out)
	}
	for _, prog := range testenv.SysrootPrograms() {
		out := ldTrace(t, sysroot, loader, prog)
		if strings.Contains(out, "not found") || !strings.Contains(out, "libc.so.6") {
			t.Errorf("%s in %s:\n%s", prog, sysroot, out)
		}
	}
	stdout, stderr, exit := testenv.RunChroot(t, sysroot, []string{testenv.DefaultPath}, "",
		"/bin/sh", "-c", "curl --version | head -n 1; echo a.b | sed s/b/c/")
	if exit != 0 || !strings.HasPrefix(string(stdout), "curl ") || !strings.HasSuffix(string(stdout), "a.c\n") {
		t.Errorf("curl and sed in %s: exit %d\n%s%s", sysroot, exit, stdout, stderr)
	}
}

func TestArm64Sysroot(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.EnableQemuArm64(t)
	sysroot := testenv.Arm64Sysroot(t)
	checkSysroot(t, sysroot, "/lib/ld-linux-aarch64.so.1", "aarch64-linux-gnu")

	// qemu's handler works under runc too.
	stdout, stderr, exit := testenv.RunRunc(t, sysroot, nil, "", "/bin/dash", "-c", "echo $0 ok")
	if exit != 0 || string(stdout) != "/bin/dash ok\n" {
		t.Errorf("arm64 dash under runc: exit %d\n%s%s", exit, stdout, stderr)
	}
}

func TestAmd64Sysroot(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("amd64 only")
	}
	testenv.NeedRoot(t)
	sysroot := testenv.Amd64Sysroot(t)
	checkSysroot(t, sysroot, "/lib64/ld-linux-x86-64.so.2", "x86_64-linux-gnu")
}

func TestAmd64Minbase(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("amd64 only")
	}
	if testing.Short() {
		t.Skip("debootstrap takes 30 s")
	}
	root := testenv.Amd64Minbase(t)
	for _, link := range []string{"bin", "lib", "lib64", "sbin"} {
		if target, err := os.Readlink(filepath.Join(root, link)); err != nil || target != "usr/"+link {
			t.Errorf("minbase /%s -> %q (%v), want usrmerged", link, target, err)
		}
	}
	stdout, stderr, exit := testenv.RunChroot(t, root, []string{testenv.DefaultPath}, "", "id", "-un")
	if exit != 0 || string(stdout) != "root\n" {
		t.Errorf("id -un in minbase: exit %d\n%s%s", exit, stdout, stderr)
	}
}
