package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// --add SRC:/ and an --add that would change a planned path's type are
// refused by rootfs and image alike: one line, exit 2, nothing written.
func TestAddAtRootRefused(t *testing.T) {
	out := t.TempDir()
	for _, add := range []string{"/usr/bin/env:/", "/usr/bin:/", "/usr/bin/env:/usr/lib"} {
		for _, args := range [][]string{
			{"rootfs", "-o", filepath.Join(out, "r")},
			{"image", "--tarball", filepath.Join(out, "i.tar"), "--oci-layout", filepath.Join(out, "oci")},
		} {
			_, stderr, code := fromscratch(t, append(args, "--add", add, "/usr/bin/true")...)
			oneLineError(t, stderr, code, add[:len("/usr/bin")])
			emptyDir(t, out)
		}
	}
}

// --trace-timeout refuses a negative duration with one line, before
// anything runs; 0 is "no limit", as --help says, and a run under it
// finishes.
func TestTraceTimeoutNegativeRefused(t *testing.T) {
	out := t.TempDir()
	for _, args := range [][]string{
		{"deps"},
		{"rootfs", "-o", filepath.Join(out, "r")},
		{"image", "--tarball", filepath.Join(out, "i.tar")},
	} {
		_, stderr, code := traceCLI(t, "", append(args, "--trace", "--trace-timeout", "-1s", "/bin/true", "--")...)
		oneLineError(t, stderr, code, "--trace-timeout", "negative")
		stdout, _, _ := fromscratch(t, args[0], "--help")
		if !strings.Contains(stdout, "(0: no limit)") {
			t.Errorf("%s --help does not say what --trace-timeout 0 means", args[0])
		}
	}
	emptyDir(t, out)
	if _, stderr, code := traceCLI(t, "", "deps", "--trace", "--trace-timeout", "0", "/bin/true", "--"); code != 0 {
		t.Errorf("--trace-timeout 0: exit %d: %s", code, stderr)
	}
}
