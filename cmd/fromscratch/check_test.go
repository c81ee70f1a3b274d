package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// TestCheckFlags: --check fails (exit 2, nothing written) naming what the
// program missed; --check=warn writes all the same; --fix adds it, says
// each round, writes, and the result passes --check; deps refuses --fix.
func TestCheckFlags(t *testing.T) {
	testenv.NeedRoot(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	args := []string{"/usr/bin/ls", "--", "-l", "/etc/os-release"}

	_, stderr, code := fromscratch(t, append([]string{"rootfs", "-o", out, "--check"}, args...)...)
	if code != exitError || !strings.Contains(stderr, "fromscratch: check: /etc/os-release: missing — stat of /etc/os-release by pid 1 (ls)\n") ||
		!strings.Contains(stderr, "nothing written") {
		t.Errorf("--check: exit %d\n%s", code, stderr)
	}
	emptyDir(t, dir)

	_, stderr, code = fromscratch(t, append([]string{"rootfs", "-o", out, "--check=warn"}, args...)...)
	if code != 0 || !strings.Contains(stderr, "warning: the check found 2 problems") {
		t.Errorf("--check=warn: exit %d\n%s", code, stderr)
	}
	if _, err := os.Lstat(filepath.Join(out, "etc/os-release")); err == nil {
		t.Errorf("--check=warn added /etc/os-release")
	}

	_, stderr, code = fromscratch(t, append([]string{"rootfs", "-o", out, "--force", "--fix"}, args...)...)
	if code != 0 || !strings.Contains(stderr, "fromscratch: check: round 1: 1 missing, 1 to add: /etc/os-release\n") ||
		!strings.Contains(stderr, "fromscratch: check: passed (exit status 0)") {
		t.Errorf("--fix: exit %d\n%s", code, stderr)
	}
	if target, err := os.Readlink(filepath.Join(out, "etc/os-release")); err != nil || target != "../usr/lib/os-release" {
		t.Errorf("--fix: /etc/os-release is %q, %v; want the root's symlink", target, err)
	}
	if _, err := os.Stat(filepath.Join(out, "usr/lib/os-release")); err != nil {
		t.Errorf("--fix: the symlink's target is missing: %v", err)
	}
	layout := t.TempDir()
	for _, entrypoint := range [][]string{{"--entrypoint", "/usr/bin/ls"}, nil} {
		_, stderr, code = fromscratch(t, append(append([]string{"image", "--oci-layout", filepath.Join(layout, "oci"), "--check"}, entrypoint...), "--cmd", "-l,/etc/os-release", "/usr/bin/ls")...)
		if code != exitError || !strings.Contains(stderr, "fromscratch: check: /etc/os-release: missing — stat of /etc/os-release by pid 1 (ls)\n") {
			t.Errorf("image --check %q --cmd: exit %d\n%s", entrypoint, code, stderr)
		}
	}
	emptyDir(t, layout)
	stdout, stderr, code := fromscratch(t, "deps", "--plan", "--fix", "/usr/bin/ls")
	oneLineError(t, stderr, code, "--fix")
	stdout, stderr, code = fromscratch(t, append([]string{"deps", "--plan", "--check", "--add", "/etc/os-release"}, args...)...)
	if code != 0 || !strings.Contains(stdout, "/etc/os-release") {
		t.Errorf("deps --check: exit %d\n%s", code, stderr)
	}
}

// TestCheckInDocker runs --check where "docker build" runs: in a
// container with docker's default capabilities and seccomp profile, which
// refuse new namespaces. The check falls back to a chroot, says so in one
// line, and still checks: a missing file is found, a complete plan passes.
func TestCheckInDocker(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedDocker(t)
	testenv.NeedCommand(t, "go")
	dir := t.TempDir()
	bin := filepath.Join(dir, "fromscratch")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	tag := "fromscratch-check-test:" + strings.ToLower(testenv.Name(t))
	tar := filepath.Join(dir, "img.tar")
	buildImage(t, "--tarball", tar, "--tag", tag, "--tmp", "--add", bin+":/fromscratch", "--add", "/etc/os-release", "/usr/bin/ls")
	mustDocker(t, "load", "-i", tar)
	t.Cleanup(func() { testenv.Docker(t, "rmi", tag) })

	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--add", "/etc/os-release", "/usr/bin/ls", "--", "-l", "/etc/os-release"}, 0, "fromscratch: check: passed (exit status 0)"},
		{[]string{"/usr/bin/ls", "--", "-l", "/etc/os-release"}, 2, "fromscratch: check: /etc/os-release: missing — stat of /etc/os-release by pid "},
	} {
		stdout, stderr, code := dockerRun(t, tag, "", []string{"--entrypoint", "/fromscratch"}, nil,
			append([]string{"rootfs", "-o", "/tmp/out", "--check"}, tt.args...)...)
		lines := strings.Split(string(stderr), "\n")
		var sandbox []string
		for _, l := range lines {
			if strings.HasPrefix(l, "fromscratch: check: sandbox: ") {
				sandbox = append(sandbox, l)
			}
		}
		if code != tt.code || !strings.Contains(string(stderr), tt.want) || len(sandbox) != 1 || !strings.Contains(sandbox[0], "a chroot only") {
			t.Errorf("%q in docker: exit %d, want %d and %q and one line on the sandbox\n%s%s", tt.args, code, tt.code, tt.want, stdout, stderr)
		}
		t.Logf("%s", sandbox)
	}
}
