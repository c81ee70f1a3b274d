package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// A library the loader would not find is exit 1 for deps, rootfs and
// image alike (rootfs and image writing nothing), as --help, the main
// usage and README's exit-status table say.
func TestMissingLibraryExitStatusAgreesWithDocs(t *testing.T) {
	testenv.NeedCommand(t, "gcc")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "lib.c"), []byte("int f(void) { return 1; }\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.c"), []byte("int f(void); int main(void) { return f() - 1; }\n"), 0o644)
	testenv.CC(t, dir, "gcc", "-shared", "-fPIC", "-o", "libgone.so.1", "-Wl,-soname,libgone.so.1", "lib.c")
	testenv.CC(t, dir, "gcc", "-o", "app", "main.c", "-L.", "-l:libgone.so.1")
	app := filepath.Join(dir, "app")

	out := t.TempDir()
	for _, args := range [][]string{
		{"deps", app},
		{"rootfs", "-o", filepath.Join(out, "rootfs"), app},
		{"image", "--tarball", filepath.Join(out, "img.tar"), app},
		{"image", "--oci-layout", filepath.Join(out, "layout"), app},
	} {
		_, stderr, code := fromscratch(t, args...)
		if code != exitMissing || !strings.Contains(stderr, "libgone.so.1 (needed by "+app+"): not found") {
			t.Errorf("%s: exit %d, want %d; stderr %q", args[0], code, exitMissing, stderr)
		}
		if args[0] != "deps" && !strings.Contains(stderr, "nothing written") {
			t.Errorf("%s: stderr %q: want it to say that nothing was written", args[0], stderr)
		}
	}
	emptyDir(t, out)

	var usage strings.Builder
	mainUsage(&usage)
	if !strings.Contains(usage.String(), "1 done but libraries are missing") {
		t.Errorf("fromscratch --help does not give exit 1 for missing libraries:\n%s", usage.String())
	}
	for _, c := range []string{"rootfs", "image"} {
		help, _, _ := fromscratch(t, c, "--help")
		if !strings.Contains(strings.Join(strings.Fields(help), " "), "A library the loader would not find is an error (exit 1, nothing written)") {
			t.Errorf("%s --help does not say exit 1:\n%s", c, help)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := "| 1 | done, but the loader would not find some library: `deps` lists each on stderr with the chain that needs it; `rootfs` and `image` write nothing unless `--allow-missing` |"
	if !strings.Contains(string(readme), row) {
		t.Errorf("README's exit-status table lacks the row %q", row)
	}
}
