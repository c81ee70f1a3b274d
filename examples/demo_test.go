package examples_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// TestMakeDemoWithoutDocker runs `make demo` as the README's first command
// on a machine without Docker: a PATH on which every program of this one
// is found but docker and dockerd, and none of the test services. The
// demo must still run curl in the image's files, with unshare and chroot,
// and say so. (.ci/run runs it with Docker.)
func TestMakeDemoWithoutDocker(t *testing.T) {
	testenv.NeedCommand(t, "make", "go", "unshare", "chroot", "/usr/bin/curl")
	dir := t.TempDir()
	path := noDockerPath(t, filepath.Join(dir, "path"))
	out := filepath.Join(dir, "out")
	cmd := exec.Command("make", "--no-print-directory", "demo",
		"DEMO_OUT="+out, "BIN="+filepath.Join(out, "bin/fromscratch"))
	cmd.Dir = repo
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH", k == "MAKEFLAGS", k == "MFLAGS", k == "MAKELEVEL",
			strings.HasPrefix(k, "FROMSCRATCH_TEST_") && k != testenv.EnvCache:
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "PATH="+path)
	b, err := cmd.CombinedOutput()
	text := string(b)
	if err != nil {
		t.Fatalf("make demo without Docker: %v\n%s", err, text)
	}
	for _, want := range []string{
		"/usr/bin/curl (dynamic)", // the tree of deps
		"sha256:",                 // the image's digest
		"no Docker here: running the image's files",
		"curl ", "Protocols:", // curl --version, from inside the rootfs
	} {
		if !strings.Contains(text, want) {
			t.Errorf("make demo output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "not found") {
		t.Errorf("make demo printed a \"not found\":\n%s", text)
	}
	for _, f := range []string{"demo.tar", "demo-oci/index.json", "demo-rootfs/usr/bin/curl"} {
		if _, err := os.Lstat(filepath.Join(out, f)); err != nil {
			t.Errorf("make demo did not write %s: %v", f, err)
		}
	}
}

// noDockerPath makes dir a directory of symlinks to every program on PATH
// (and Go's) except Docker's, and returns it as a PATH.
func noDockerPath(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	dirs := append(filepath.SplitList(os.Getenv("PATH")), filepath.Dir(goBin))
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			name := e.Name()
			if strings.HasPrefix(name, "docker") {
				continue
			}
			link := filepath.Join(dir, name)
			if _, err := os.Lstat(link); err == nil {
				continue // the first on PATH wins
			}
			if err := os.Symlink(filepath.Join(d, name), link); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := exec.LookPath(filepath.Join(dir, "docker")); err == nil {
		t.Fatal("docker is still on the PATH")
	}
	return dir
}
