// Package examples_test checks that what README.md and examples/ tell
// users works as written: `make image`, the builder-stage Dockerfile built
// and run in Docker, the Go API example, and the CLI reference, which is
// generated from the commands' --help:
//
//	go test ./examples -run TestReadmeReference -update
package examples_test

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// repo is the repository's top directory, seen from this package.
const repo = ".."

// scratch holds what the tests build once per test binary.
var scratch string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "fromscratch-examples-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	scratch = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// madeImage is what `make image` wrote.
type madeImage struct {
	dir    string // IMAGE_OUT
	tar    string // the docker tarball
	digest string
}

// makeImage runs `make image` with its outputs, and the bin/fromscratch
// it builds first, in dir: nothing in the work tree changes.
func makeImage(t *testing.T, dir, tag string) madeImage {
	t.Helper()
	testenv.NeedCommand(t, "make", "go")
	cmd := exec.Command("make", "--no-print-directory", "image",
		"IMAGE_OUT="+dir, "IMAGE_TAG="+tag, "BIN="+filepath.Join(dir, "bin/fromscratch"))
	cmd.Dir = repo
	// Not the jobserver of a `make test` that runs these tests.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "MAKEFLAGS" && k != "MFLAGS" && k != "MAKELEVEL" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make image: %v\n%s", err, out)
	}
	t.Logf("make image: %v", time.Since(start).Round(time.Millisecond))
	digest, err := os.ReadFile(filepath.Join(dir, "fromscratch.digest"))
	if err != nil {
		t.Fatal(err)
	}
	d := strings.TrimSpace(string(digest))
	if !bytes.Contains(out, []byte(d+"\n")) {
		t.Errorf("make image did not print the digest %s:\n%s", d, out)
	}
	return madeImage{dir: dir, tar: filepath.Join(dir, "fromscratch.tar"), digest: d}
}

// caBundle is the Makefile's IMAGE_CA_BUNDLE default.
const caBundle = "/etc/ssl/certs/ca-certificates.crt"

// TestMakeImage: `make image` writes fromscratch's own image, the static
// binary at /usr/local/bin/fromscratch with /tmp and the CA bundle and
// nothing else, and the same tree gives the same digest.
func TestMakeImage(t *testing.T) {
	a := makeImage(t, t.TempDir(), "fromscratch:latest")
	b := makeImage(t, t.TempDir(), "fromscratch:latest")
	if a.digest != b.digest {
		t.Errorf("make image is not reproducible: %s, then %s", a.digest, b.digest)
	}
	for _, p := range []string{"fromscratch.tar", "fromscratch-oci/index.json", "fromscratch-oci/oci-layout"} {
		if _, err := os.Stat(filepath.Join(a.dir, p)); err != nil {
			t.Error(err)
		}
	}

	img, err := tarball.ImageFromPath(a.tar, nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/usr/local/bin/fromscratch"}; !slices.Equal(cf.Config.Entrypoint, want) {
		t.Errorf("entrypoint %q, want %q", cf.Config.Entrypoint, want)
	}
	if cf.Architecture != "amd64" && cf.Architecture != "arm64" || cf.OS != "linux" {
		t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1", len(layers))
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var got []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%04o %s", h.Mode, h.Name))
	}
	want := []string{
		"1777 tmp/",
		"0755 usr/",
		"0755 usr/local/",
		"0755 usr/local/bin/",
		"0755 usr/local/bin/fromscratch",
	}
	if _, err := os.Stat(caBundle); err == nil {
		want = append(want, "0755 etc/", "0755 etc/ssl/", "0755 etc/ssl/certs/", "0644 etc/ssl/certs/ca-certificates.crt")
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("image layer holds\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	// The binary is static (no interpreter) and runs.
	bin := filepath.Join(a.dir, "fromscratch-root/usr/local/bin/fromscratch")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has an interpreter: not static", bin)
		}
	}
	out, _, exit := testenv.RunHost(t, nil, "", bin, "version")
	if exit != 0 || !strings.HasPrefix(string(out), "fromscratch ") {
		t.Errorf("%s version: exit %d, %q", bin, exit, out)
	}
}

// run runs a command in dir and fails the test if it fails.
func run(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// docker runs the test daemon's client with the classic builder, which is
// what docker 20.10 uses by default and what works without network.
func docker(t *testing.T, home string, args ...string) (stdout, stderr []byte, exit int) {
	t.Helper()
	env := []string{"DOCKER_HOST=" + testenv.NeedDocker(t), "DOCKER_BUILDKIT=0", "HOME=" + home, testenv.DefaultPath}
	return testenv.RunHost(t, env, "", append([]string{testenv.DockerClient()}, args...)...)
}

func mustDocker(t *testing.T, home string, args ...string) []byte {
	t.Helper()
	start := time.Now()
	out, errOut, exit := docker(t, home, args...)
	if exit != 0 {
		t.Fatalf("docker %s: exit %d\n%s%s", strings.Join(args, " "), exit, out, errOut)
	}
	t.Logf("docker %s: %v", args[0], time.Since(start).Round(time.Millisecond))
	return out
}

// TestBuilderStage builds examples/builder-stage/Dockerfile as the README
// says, in the test's Docker daemon and without network: the base is a
// local Debian bookworm (debootstrap's minbase without docs and apt lists,
// much like debian:bookworm-slim), fromscratch the image of `make image`,
// and greet and libgreet.so.1 are compiled into the build context. The
// image must print what greet prints on the host, and hold nothing else.
func TestBuilderStage(t *testing.T) {
	testenv.NeedDocker(t)
	testenv.NeedCommand(t, "gcc", "tar")
	start := time.Now()
	name := testenv.Name(t)
	home := t.TempDir()
	base := name + "-base:bookworm"
	fsImage := name + "-fromscratch:latest"
	build := name + "-build"
	t.Cleanup(func() {
		// The final image, the build stage and its layers, then the
		// images they were built from.
		docker(t, home, "rmi", "-f", name, build, fsImage, base)
	})

	minbase := testenv.Amd64Minbase(t)
	baseTar := filepath.Join(t.TempDir(), "base.tar")
	run(t, "/", "tar", "-C", minbase, "-cf", baseTar,
		"--exclude=./usr/share/doc", "--exclude=./usr/share/locale", "--exclude=./usr/share/man",
		"--exclude=./usr/share/info", "--exclude=./var/cache/apt", "--exclude=./var/lib/apt/lists", ".")
	mustDocker(t, home, "import", baseTar, base)

	fs := makeImage(t, t.TempDir(), fsImage)
	mustDocker(t, home, "load", "-i", fs.tar)
	out := mustDocker(t, home, "run", "--rm", "--network", "none", fsImage, "version")
	if !strings.HasPrefix(string(out), "fromscratch ") {
		t.Errorf("docker run %s version: %q", fsImage, out)
	}
	// fromscratch in its own image writes beside its output, in /tmp here.
	mustDocker(t, home, "run", "--rm", "--network", "none", fsImage,
		"image", "--quiet", "--tarball", "/tmp/self.tar", "/usr/local/bin/fromscratch")

	// The build context, made as the Dockerfile's comment says.
	ctx := t.TempDir()
	for _, f := range []string{"Dockerfile", "greet.c", "libgreet.c"} {
		testenv.CopyFile(t, filepath.Join("builder-stage", f), filepath.Join(ctx, f))
	}
	testenv.CC(t, ctx, "gcc", "-shared", "-fPIC", "-Wl,-soname,libgreet.so.1", "-o", "libgreet.so.1", "libgreet.c")
	testenv.CC(t, ctx, "gcc", "-o", "greet", "greet.c", "libgreet.so.1")

	args := []string{"build", "--network", "none", "--build-arg", "BASE=" + base, "--build-arg", "FROMSCRATCH=" + fsImage}
	// The build stage first, tagged, so that cleaning up removes its
	// layers too; the whole build then reuses them.
	mustDocker(t, home, append(args, "--target", "build", "-t", build, ctx)...)
	mustDocker(t, home, append(args, "-t", name, ctx)...)

	want, wantErr, wantExit := testenv.RunHost(t, []string{"LD_LIBRARY_PATH=" + ctx}, "",
		filepath.Join(ctx, "greet"), "from", "scratch")
	got, gotErr, gotExit := docker(t, home, "run", "--rm", "--network", "none", name, "from", "scratch")
	if !bytes.Equal(got, want) || gotExit != wantExit {
		t.Errorf("docker run %s from scratch: exit %d\n%s%s\non the host: exit %d\n%s%s",
			name, gotExit, got, gotErr, wantExit, want, wantErr)
	}

	// Nothing but what greet needs: no shell, and a few MB (the build
	// stage has some 70).
	if _, _, exit := docker(t, home, "run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", name, "-c", "true"); exit == 0 {
		t.Errorf("the image has a /bin/sh")
	}
	size := mustDocker(t, home, "image", "inspect", "--format", "{{.Size}}", name)
	var n int64
	if _, err := fmt.Sscan(string(size), &n); err != nil || n > 5<<20 {
		t.Errorf("image size %q: want under 5 MiB", size)
	}
	t.Logf("image %s: %d bytes; whole test %v", name, n, time.Since(start).Round(time.Millisecond))
}
