package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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

// The traced program's stdout and stderr go to fromscratch's stderr in
// every command: fromscratch's stdout holds its own output alone (the
// tree, the list, the plan, the digest, or nothing with -q).
func TestTracedOutputOnStderr(t *testing.T) {
	out := t.TempDir()
	const marker = "MARKER-from-the-traced-program"
	prog := []string{"/bin/sh", "--", "-c", "echo " + marker + "-out; echo " + marker + "-err >&2"}
	for _, tc := range []struct {
		args   []string
		stdout func(string) bool
	}{
		{[]string{"deps"}, func(s string) bool { return strings.HasPrefix(s, "/bin/sh (") }},
		{[]string{"deps", "--list"}, func(s string) bool { return strings.HasPrefix(s, "/bin/sh\n") }},
		{[]string{"deps", "--plan"}, func(s string) bool { return strings.Contains(s, " /bin/sh") }},
		{[]string{"deps", "--json"}, func(s string) bool { return strings.HasPrefix(s, "{") }},
		{[]string{"rootfs", "-o", filepath.Join(out, "r")}, func(s string) bool { return s == "" }},
		{[]string{"image", "--oci-layout", filepath.Join(out, "oci")}, digestLine.MatchString},
		{[]string{"image", "-q", "--oci-layout", filepath.Join(out, "oci2")}, func(s string) bool { return s == "" }},
	} {
		stdout, stderr, code := traceCLI(t, "", append(append(tc.args, "--trace"), prog...)...)
		name := strings.Join(tc.args[:min(2, len(tc.args))], " ")
		if code != 0 {
			t.Errorf("%s: exit %d: %s", name, code, stderr)
			continue
		}
		if strings.Contains(stdout, marker) || !tc.stdout(stdout) {
			t.Errorf("%s: stdout %q holds the program's output or not the command's", name, stdout)
		}
		if !strings.Contains(stderr, marker+"-out\n") || !strings.Contains(stderr, marker+"-err\n") {
			t.Errorf("%s: stderr %q lacks the program's output", name, stderr)
		}
	}
}

// A FIFO given where a file is read (--base, --add, a FILE, --ld-so-conf
// in the root) or replaced (--digest-file, --tarball) is refused at once
// with one line; nothing hangs, nothing is written.
func TestNonRegularInputsRefused(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(out, "i.tar")
	for _, args := range [][]string{
		{"image", "--base", fifo, "--tarball", tarball, "/bin/true"},
		{"image", "--base", fifo + ":x:1", "--tarball", tarball, "/bin/true"},
		{"image", "--digest-file", fifo, "--tarball", tarball, "/bin/true"},
		{"image", "--tarball", fifo, "/bin/true"},
		{"rootfs", "-o", filepath.Join(out, "r"), "--add", fifo, "/bin/true"},
		{"rootfs", "-o", filepath.Join(out, "r"), "--add", fifo + ":/x", "/bin/true"},
		{"deps", fifo},
	} {
		done := make(chan struct{})
		var stderr string
		var code int
		go func() {
			defer close(done)
			_, stderr, code = fromscratch(t, args...)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%q hangs", args)
		}
		oneLineError(t, stderr, code, fifo, "not a regular file")
	}
	emptyDir(t, out)
}

// --sbom is renamed over its FILE like --tarball: a FIFO or a device node
// there is refused before any work, and left as it was.
func TestSBOMNotRenamedOverDevices(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{fifo, "/dev/null"} {
		_, stderr, code := fromscratch(t, "rootfs", "-o", filepath.Join(dir, "r"), "--sbom", "spdx="+file, "/bin/true")
		oneLineError(t, stderr, code, file, "not a regular file")
	}
	if st, err := os.Lstat("/dev/null"); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is no longer a device: %v %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "r")); err == nil {
		t.Errorf("a refused run wrote its output")
	}
}
