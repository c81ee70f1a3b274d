package examples_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// examples/embed is an external module (its own go.mod, with a replace of
// this one) that embeds the packages in at most 40 lines. It builds and
// runs: an OCI layout and the reasons of each file. On a program whose
// library the loader would not find it fails with Collect's error,
// although it has no code of its own for that.
func TestEmbedModule(t *testing.T) {
	testenv.NeedCommand(t, "go", "gcc", "/usr/bin/jq")
	src := filepath.Join(repo, "examples/embed")
	main, err := os.ReadFile(filepath.Join(src, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(main), "\n"); n > 40 {
		t.Errorf("examples/embed/main.go has %d lines, more than 40", n)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "embed")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build in examples/embed: %v\n%s", err, out)
	}

	layout := filepath.Join(dir, "jq-oci")
	out, err := exec.Command(bin, "/usr/bin/jq", layout).CombinedOutput()
	if err != nil {
		t.Fatalf("embed /usr/bin/jq: %v\n%s", err, out)
	}
	for _, want := range []string{
		"/usr/bin/jq: program",
		"libjq.so.1",
		"needed by libjq.so.1 ← /usr/bin/jq",
		"interpreter of /usr/bin/jq",
		"sha256:",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("embed's output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(layout, "index.json")); err != nil {
		t.Errorf("no OCI layout: %v", err)
	}

	// A program whose library is gone.
	c := filepath.Join(dir, "c")
	os.MkdirAll(c, 0o755)
	os.WriteFile(filepath.Join(c, "lib.c"), []byte("int f(void) { return 1; }\n"), 0o644)
	os.WriteFile(filepath.Join(c, "main.c"), []byte("int f(void); int main(void) { return f() - 1; }\n"), 0o644)
	testenv.CC(t, c, "gcc", "-shared", "-fPIC", "-o", "libgone.so.1", "-Wl,-soname,libgone.so.1", "lib.c")
	testenv.CC(t, c, "gcc", "-o", "app", "main.c", "-L.", "-l:libgone.so.1")
	os.Remove(filepath.Join(c, "libgone.so.1"))
	layout = filepath.Join(dir, "app-oci")
	out, err = exec.Command(bin, filepath.Join(c, "app"), layout).CombinedOutput()
	if err == nil {
		t.Fatalf("embed of a program with a missing library succeeded:\n%s", out)
	}
	want := "collector: the loader would not find 1 library: libgone.so.1 (needed by " + filepath.Join(c, "app") + "): not found"
	if !strings.Contains(string(out), want) {
		t.Errorf("embed's error %q lacks %q", out, want)
	}
	if _, err := os.Stat(layout); err == nil {
		t.Errorf("embed wrote %s for a program that cannot start", layout)
	}
}
