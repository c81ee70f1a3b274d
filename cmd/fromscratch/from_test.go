package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/fromscratch/fromscratch/image"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// dirLayer is the layer of the tree dir, made by GNU tar as a Dockerfile
// COPY would be.
func dirLayer(t *testing.T, dir string) v1.Layer {
	t.Helper()
	out, err := exec.Command("tar", "--sort=name", "--numeric-owner", "-C", dir, "-cf", "-", ".").Output()
	if err != nil {
		t.Fatalf("tar %s: %v", dir, err)
	}
	return bytesLayer(t, out)
}

func bytesLayer(t *testing.T, b []byte) v1.Layer {
	t.Helper()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// tarLayer is a layer of the given files, "name" → content; a name ending
// in "/" is a directory.
func tarLayer(t *testing.T, files map[string][]byte) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range files {
		hdr := &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(body))}
		if strings.HasSuffix(name, "/") {
			hdr.Typeflag, hdr.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return bytesLayer(t, buf.Bytes())
}

// writeLayout writes an amd64 OCI image of the layers and config to a new
// layout and returns its directory.
func writeLayout(t *testing.T, c v1.Config, layers ...v1.Layer) string {
	t.Helper()
	return writeArchLayout(t, "amd64", c, layers...)
}

// writeArchLayout is writeLayout for a linux image of arch.
func writeArchLayout(t *testing.T, arch string, c v1.Config, layers ...v1.Layer) string {
	t.Helper()
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Config = "linux", arch, c
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "src")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return dir
}

// greeterTree is a root where /app/greeter needs /opt/lib/libgreet.so.1
// (RUNPATH /opt/lib), and the host's glibc.
func greeterTree(t *testing.T) string {
	t.Helper()
	root, build := t.TempDir(), t.TempDir()
	testenv.HostGlibc(t, root)
	testenv.BuildC(t, build, "libgreet.so.1", "../../testdata/collector/greet.c", "-shared", "-fPIC", "-Wl,-soname,libgreet.so.1")
	if err := os.Symlink("libgreet.so.1", filepath.Join(build, "libgreet.so")); err != nil {
		t.Fatal(err)
	}
	testenv.CopyFile(t, filepath.Join(build, "libgreet.so.1"), filepath.Join(root, "opt/lib/libgreet.so.1"))
	testenv.BuildC(t, root, "app/greeter", "../../testdata/collector/greeter.c", "-L", build, "-lgreet", "-Wl,-rpath,/opt/lib")
	if err := os.WriteFile(filepath.Join(root, "app/hello.txt"), []byte("unused\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestFromLayout minifies an image in an OCI layout: its command is found
// on its PATH, its run-time config is kept and overridable, the source is
// recorded, a named user keeps its passwd entry, the same source gives the
// same digest, and the staging is gone afterwards.
func TestFromLayout(t *testing.T) {
	testenv.NeedRoot(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	root := greeterTree(t)
	etc := t.TempDir()
	os.MkdirAll(filepath.Join(etc, "etc"), 0o755)
	os.WriteFile(filepath.Join(etc, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/app:/bin/false\n"), 0o644)
	os.WriteFile(filepath.Join(etc, "etc/group"), []byte("root:x:0:\napp:x:1000:\n"), 0o644)
	cfg := v1.Config{
		Env:          []string{"PATH=/usr/bin:/app", "GREETING=hi"},
		Entrypoint:   []string{"greeter"},
		Cmd:          []string{"you"},
		User:         "app",
		WorkingDir:   "/app",
		ExposedPorts: map[string]struct{}{"8080/tcp": {}},
		Volumes:      map[string]struct{}{"/data": {}},
		Labels:       map[string]string{"org.example": "yes"},
		StopSignal:   "SIGQUIT",
	}
	src := writeLayout(t, cfg, dirLayer(t, root), dirLayer(t, etc))

	out1, out2 := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	_, stderr, code := fromscratch(t, "image", "--from", src, "--oci-layout", out1, "--tag", "min:1")
	if code != 0 {
		t.Fatalf("image --from: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "minified:") || !strings.Contains(stderr, "from "+src) {
		t.Errorf("stderr does not give the sizes: %s", stderr)
	}
	d1 := buildImage(t, "--from", src, "--oci-layout", out1, "--tag", "min:1")
	d2 := buildImage(t, "--from", src, "--oci-layout", out2, "--tag", "min:1")
	if d1 != d2 {
		t.Errorf("same source, digests %s and %s", d1, d2)
	}
	img, err := image.LoadSource(t.Context(), out1+":min:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	got := cf.Config
	want := cfg
	want.Entrypoint = []string{"greeter"}
	if !reflect.DeepEqual(got.Env, want.Env) || got.User != want.User || got.WorkingDir != want.WorkingDir ||
		!reflect.DeepEqual(got.ExposedPorts, want.ExposedPorts) || !reflect.DeepEqual(got.Volumes, want.Volumes) ||
		!reflect.DeepEqual(got.Labels, want.Labels) || got.StopSignal != want.StopSignal ||
		!reflect.DeepEqual(got.Entrypoint, want.Entrypoint) || !reflect.DeepEqual(got.Cmd, want.Cmd) {
		t.Errorf("config:\n got %+v\nwant %+v", got, want)
	}
	m, _ := img.Manifest()
	srcImg, _ := image.LoadSource(t.Context(), src, nil)
	srcDigest, _ := srcImg.Digest()
	if m.Annotations[image.BaseNameAnnotation] != src || m.Annotations[image.BaseDigestAnnotation] != srcDigest.String() {
		t.Errorf("annotations %v, want the source %s@%s", m.Annotations, src, srcDigest)
	}
	if h := cf.History[len(cf.History)-1]; !strings.Contains(h.Comment, srcDigest.String()) {
		t.Errorf("history %+v does not name the source", h)
	}

	// Overrides, and the files: rootfs runs as the image would.
	d3 := buildImage(t, "--from", src, "--oci-layout", out2, "--tag", "min:2", "--user", "1:1", "--entrypoint", "/app/greeter", "--cmd", "them")
	if d3 == d1 {
		t.Error("--user, --entrypoint and --cmd changed nothing")
	}
	img2, _ := image.LoadSource(t.Context(), out2+":min:2", nil)
	cf2, _ := img2.ConfigFile()
	if c := cf2.Config; c.User != "1:1" || !reflect.DeepEqual(c.Entrypoint, []string{"/app/greeter"}) || !reflect.DeepEqual(c.Cmd, []string{"them"}) {
		t.Errorf("overridden config: %+v", c)
	}
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	if _, stderr, code := fromscratch(t, "rootfs", "--from", src, "-o", rootfs); code != 0 {
		t.Fatalf("rootfs --from: exit %d\n%s", code, stderr)
	}
	passwd, _ := os.ReadFile(filepath.Join(rootfs, "etc/passwd"))
	if !strings.Contains(string(passwd), "app:x:1000:") {
		t.Errorf("/etc/passwd of the named user's image: %q", passwd)
	}
	if _, err := os.Stat(filepath.Join(rootfs, "app/hello.txt")); err == nil {
		t.Error("an unused file of the image was kept")
	}
	stdout, _, exit := testenv.RunChroot(t, rootfs, nil, "", "/app/greeter", "you")
	if exit != 0 || !strings.HasPrefix(string(stdout), "hello, you\n") {
		t.Errorf("greeter in the minified rootfs: exit %d, %q", exit, stdout)
	}
	emptyDir(t, tmp)
}

// TestFromWhiteouts: a layer deleting a library the program needs makes it
// missing; an opaque directory replacing the library's directory brings
// the new library.
func TestFromWhiteouts(t *testing.T) {
	testenv.NeedRoot(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	base := dirLayer(t, greeterTree(t))
	cfg := v1.Config{Entrypoint: []string{"/app/greeter"}}

	deleted := writeLayout(t, cfg, base, tarLayer(t, map[string][]byte{"opt/lib/.wh.libgreet.so.1": nil}))
	_, stderr, code := fromscratch(t, "deps", "--from", deleted)
	if code != exitMissing || !strings.Contains(stderr, "libgreet.so.1 (needed by /app/greeter): not found") {
		t.Errorf("deps of a deleted library: exit %d, %s", code, stderr)
	}

	build := t.TempDir()
	os.WriteFile(filepath.Join(build, "bonjour.c"), []byte("#include <stdio.h>\nvoid greet(const char *w) { printf(\"bonjour, %s\\n\", w); }\n"), 0o644)
	lib := testenv.BuildC(t, build, "libgreet.so.1", filepath.Join(build, "bonjour.c"), "-shared", "-fPIC", "-Wl,-soname,libgreet.so.1")
	body, _ := os.ReadFile(lib)
	replaced := writeLayout(t, cfg, base, tarLayer(t, map[string][]byte{
		"opt/lib/": nil, "opt/lib/.wh..wh..opq": nil, "opt/lib/libgreet.so.1": body,
	}))
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	if _, stderr, code := fromscratch(t, "rootfs", "--from", replaced, "-o", rootfs); code != 0 {
		t.Fatalf("rootfs --from: exit %d\n%s", code, stderr)
	}
	stdout, _, exit := testenv.RunChroot(t, rootfs, nil, "", "/app/greeter")
	if exit != 0 || !strings.HasPrefix(string(stdout), "bonjour, world\n") {
		t.Errorf("greeter with the opaque directory's library: exit %d, %q", exit, stdout)
	}
	emptyDir(t, tmp)
}

// TestFromBadInput: a source that is not there, a tampered layer, a
// program not on the image's PATH: one line, exit 2, no staging left.
func TestFromBadInput(t *testing.T) {
	testenv.NeedRoot(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	good := tarLayer(t, map[string][]byte{"a": []byte("a")})
	other := tarLayer(t, map[string][]byte{"b": []byte("b")})
	tampered := writeLayout(t, v1.Config{Cmd: []string{"/a"}}, good, other)
	// The first layer's blob holds the second's bytes.
	gd, _ := good.Digest()
	od, _ := other.Digest()
	b, _ := os.ReadFile(filepath.Join(tampered, "blobs/sha256", od.Hex))
	os.WriteFile(filepath.Join(tampered, "blobs/sha256", gd.Hex), b, 0o644)
	nocmd := writeLayout(t, v1.Config{Cmd: []string{"nothere"}}, good)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"deps", "--from", "./no/such/layout"}, "no/such/layout"},
		{[]string{"deps", "--from", tampered}, "the config's diff ID is"},
		{[]string{"deps", "--from", nocmd}, "nothere: not found on the image's PATH"},
		{[]string{"deps", "--from", nocmd, "--root", "/"}, "--from and --root exclude each other"},
	} {
		_, stderr, code := fromscratch(t, c.args...)
		oneLineError(t, stderr, code, c.want)
	}
	emptyDir(t, tmp)
}

// fromMainEnv makes the test binary, run again by TestFromSignal, be
// fromscratch itself.
const fromMainEnv = "_FROMSCRATCH_TEST_MAIN"

// TestFromSignal: SIGTERM while an image is being staged removes the
// staging; the process exits 143, as for any write (cancelOnSignal).
func TestFromSignal(t *testing.T) {
	if args := os.Getenv(fromMainEnv); args != "" {
		os.Exit(run(strings.Split(args, "\n"), os.Stdout, os.Stderr))
	}
	testenv.NeedRoot(t)
	// Enough files that the staging takes a while.
	files := map[string][]byte{}
	for i := range 50_000 {
		files[fmt.Sprintf("d%02d/f%d", i%50, i)] = nil
	}
	src := writeLayout(t, v1.Config{Cmd: []string{"/d00/f0"}}, tarLayer(t, files))
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFromSignal$")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, fromMainEnv+"="+strings.Join([]string{"deps", "--from", src}, "\n"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Signal once the staging has begun.
	for start := time.Now(); time.Since(start) < time.Minute; time.Sleep(10 * time.Millisecond) {
		if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
			break
		}
	}
	time.Sleep(100 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 128+int(syscall.SIGTERM) {
		t.Errorf("exit %d (%v), want %d; stderr: %s", code, err, 128+int(syscall.SIGTERM), stderr.String())
	}
	emptyDir(t, tmp)
	if !strings.Contains(stderr.String(), "interrupted by SIGTERM") {
		t.Errorf("stderr: %s", stderr.String())
	}
}
