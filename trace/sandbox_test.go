//go:build linux && (amd64 || arm64)

package trace

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// wantFailed are the failed lookups of testdata/trace/missing.c run in
// the directory /work.
var wantFailed = []Access{
	{Path: "/nope/open", Op: OpOpen, Err: syscall.ENOENT},
	{Path: "/work/rel-open", Op: OpOpen, Err: syscall.ENOENT},
	{Path: "/nodir/created", Op: OpOpen, Create: true, Err: syscall.ENOENT},
	{Path: "/work/file/sub", Op: OpOpen, Err: syscall.ENOTDIR},
	{Path: "/nope/stat", Op: OpStat, Err: syscall.ENOENT},
	{Path: "/nope/access", Op: OpAccess, Err: syscall.ENOENT},
	{Path: "/nope/link", Op: OpReadlink, Err: syscall.ENOENT},
	{Path: "/nodir/sub", Op: OpMkdir, Create: true, Dir: true, Err: syscall.ENOENT},
	{Path: "/nope/chdir", Op: OpChdir, Dir: true, Err: syscall.ENOENT},
	{Path: "/nope/dir", Op: OpOpen, Dir: true, Err: syscall.ENOENT},
	{Path: "/nope/exec", Op: OpExec, Err: syscall.ENOENT},
	{Path: "/nope/sock", Op: OpConnect, Err: syscall.ENOENT},
}

// sandboxRoot makes a root holding only the static program missing, at
// /missing, and /work/file.
func sandboxRoot(t *testing.T) string {
	t.Helper()
	prog := build(t, "missing")
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "work"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(prog)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "missing"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "work/file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestFailures: with Options.Failures, every failed lookup of each kind is
// in Result.Failed, as the program named it, with its error; Accesses has
// none of them. In a Sandbox, chroot or isolated, paths are the
// program's, inside it, and in an isolated one the PID is its own (1).
func TestFailures(t *testing.T) {
	root := sandboxRoot(t)
	for _, sb := range []*Sandbox{nil, {Root: root}, {Root: root, Isolate: true}, {Root: root, Isolate: true, Overlay: true}} {
		name := "host"
		argv, dir := []string{filepath.Join(root, "missing")}, filepath.Join(root, "work")
		if sb != nil {
			if os.Geteuid() != 0 {
				t.Skip("a sandbox needs root")
			}
			name, argv, dir = "chroot", []string{"/missing"}, "/work"
			if sb.Isolate {
				name = "isolated"
			}
			if sb.Overlay {
				name += "+overlay"
			}
		}
		t.Run(name, func(t *testing.T) {
			res := run(t, argv, &Options{Failures: true, Sandbox: sb, Dir: dir})
			var got []Access
			for _, a := range res.Failed {
				if strings.HasPrefix(a.Path, "/proc/") && sb != nil && !sb.Isolate {
					continue // a chroot has no /proc: static glibc looks for /proc/self/exe
				}
				if sb == nil {
					a.Path = strings.Replace(a.Path, root, "", 1)
				}
				if sb != nil && sb.Isolate && a.PID != 1 {
					t.Errorf("%v: pid %d, want 1 in its namespace", a, a.PID)
				}
				a.PID, a.Comm = 0, ""
				got = append(got, a)
			}
			if !slices.Equal(got, wantFailed) {
				t.Errorf("Failed:\n%v\nwant:\n%v", got, wantFailed)
			}
			for _, a := range res.Accesses {
				if strings.Contains(a.Path, "nope") || a.Err != 0 {
					t.Errorf("a failed lookup in Accesses: %v", a)
				}
			}
		})
	}
}

// TestSandboxIsolated: an isolated run is PID 1 in its namespaces, with
// its own host name, no network but lo, which is up, /proc and /dev as a container has
// them, and nothing of the host's root; with Overlay, what it writes stays
// out of Root.
func TestSandboxIsolated(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a sandbox needs root")
	}
	needProgram(t, "/usr/bin/busybox")
	root := t.TempDir()
	// busybox and what the host's loader loads for it, at their paths.
	ldd, err := exec.Command("ldd", "/usr/bin/busybox").Output()
	if err != nil {
		t.Skip(err)
	}
	files := []string{"/usr/bin/busybox"}
	for _, f := range strings.Fields(string(ldd)) {
		if strings.HasPrefix(f, "/") {
			files = append(files, f)
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, "usr", f) // /lib64/x is /usr/lib64/x, as in a merged /usr
		if strings.HasPrefix(f, "/usr/") {
			dst = filepath.Join(root, f)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []string{"lib", "lib64", "bin"} {
		if err := os.Symlink("usr/"+l, filepath.Join(root, l)); err != nil {
			t.Fatal(err)
		}
	}
	script := `echo pid $$; busybox hostname; busybox ls /sys/class/net; busybox cat /sys/class/net/lo/operstate; busybox ls /dev; test -e /etc && echo host-root; echo x > /written; echo ok`
	var out strings.Builder
	run(t, []string{"/usr/bin/busybox", "sh", "-c", script}, &Options{
		Stdout:  &out,
		Sandbox: &Sandbox{Root: root, Isolate: true, Overlay: true, Hostname: "sandboxed"},
		Env:     []string{"PATH=/usr/bin"},
	})
	want := "pid 1\nsandboxed\nlo\nunknown\nfd\nfull\nnull\nrandom\nshm\nstderr\nstdin\nstdout\ntty\nurandom\nzero\nok\n"
	if out.String() != want {
		t.Errorf("in the sandbox:\n%s\nwant:\n%s", out.String(), want)
	}
	if _, err := os.Stat(filepath.Join(root, "written")); err == nil {
		t.Errorf("a write reached Root through the overlay")
	}
	if left, _ := os.ReadDir(root); len(left) != 4 {
		t.Errorf("Root holds %v after the run", left)
	}
}

// TestSandboxGrace: a run stopped at its Timeout with a Grace gets SIGTERM
// first: a program that handles it exits on its own, within the grace.
func TestSandboxGrace(t *testing.T) {
	start := time.Now()
	var out strings.Builder
	// The timeout leaves the shell time to set its trap, even on a
	// loaded machine, under the race detector.
	res, err := Run(context.Background(), []string{"/bin/sh", "-c", `trap 'echo term; exit 3' TERM; while :; do sleep 0.05; done`},
		&Options{Env: testEnv, Stdout: &out, Timeout: 5 * time.Second, Grace: time.Minute})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the deadline", err)
	}
	if res.ExitCode != 3 || out.String() != "term\n" || time.Since(start) > 50*time.Second {
		t.Errorf("exit %d, output %q after %v: want 3 and \"term\", well within the grace", res.ExitCode, out.String(), time.Since(start))
	}
}

// TestSandboxError: a sandbox that cannot be set up is a *SandboxError
// naming the step.
func TestSandboxError(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a sandbox needs root")
	}
	root := t.TempDir()
	_, err := Run(context.Background(), []string{"/missing"}, &Options{Sandbox: &Sandbox{Root: filepath.Join(root, "nope"), Isolate: true}})
	var se *SandboxError
	if !errors.As(err, &se) || !errors.Is(err, unix.ENOENT) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("error %v, want a SandboxError naming the root", err)
	}
}
