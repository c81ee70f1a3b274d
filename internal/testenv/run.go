package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runTimeout bounds each program that the Run functions start; a program
// still running then is killed and the test fails.
const runTimeout = 5 * time.Minute

// RunHost runs argv on the host with exactly env as its environment (nil:
// empty) and stdin as its standard input, and returns its standard output,
// standard error and exit status (128+N when killed by signal N). It fails
// the test if argv cannot be started at all.
func RunHost(t testing.TB, env []string, stdin string, argv ...string) (stdout, stderr []byte, exit int) {
	t.Helper()
	return run(t, env, stdin, argv, fmt.Sprintf("%q", argv))
}

// mountScript mounts, in a private mount namespace, a tmpfs on $2 holding an
// overlay at $2/root whose read-only lower layer is the rootfs $1, so that
// nothing done in the container reaches $1. Then it runs the rest of its
// arguments.
const mountScript = `set -eu
trap 'echo "` + setupFailed + `" >&2; exit 125' EXIT
rootfs=$1 tmp=$2; shift 2
mount -t tmpfs -o mode=0755 fromscratch-run "$tmp"
mkdir "$tmp/upper" "$tmp/work" "$tmp/root"
mount -t overlay -o "lowerdir=$rootfs,upperdir=$tmp/upper,workdir=$tmp/work" fromscratch-rootfs "$tmp/root"
trap - EXIT
exec "$@"
`

// setupFailed is what mountScript and devScript print before they exit with
// status 125 when they fail: a broken test machine, not a broken program.
const setupFailed = "testenv: container setup failed"

// devScript prepares $1, the overlay root, as a container runtime does: a
// tmpfs /dev with the usual devices bound from the host, and /proc.
const devScript = `set -eu
trap 'echo "` + setupFailed + `" >&2; exit 125' EXIT
r=$1; shift
mkdir -p "$r/dev" "$r/proc"
mount -t tmpfs -o mode=0755,nosuid,size=65536k fromscratch-dev "$r/dev"
for d in null zero full random urandom tty; do
	: >"$r/dev/$d"
	mount --bind "/dev/$d" "$r/dev/$d"
done
ln -s /proc/self/fd "$r/dev/fd"
ln -s /proc/self/fd/0 "$r/dev/stdin"
ln -s /proc/self/fd/1 "$r/dev/stdout"
ln -s /proc/self/fd/2 "$r/dev/stderr"
ln -s pts/ptmx "$r/dev/ptmx"
mkdir "$r/dev/pts" "$r/dev/shm"
mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$r/dev/shm"
mount -t proc -o nosuid,nodev,noexec proc "$r/proc"
trap - EXIT
exec "$@"
`

// RunChroot runs argv in rootfs as a container would: with unshare in new
// mount, PID, network, IPC and UTS namespaces (the program is PID 1 and has
// only a loopback interface), chrooted into an overlay of rootfs with a tmpfs
// /dev and a /proc, with exactly env as its environment. The rootfs directory
// itself is never changed. Needs root.
func RunChroot(t testing.TB, rootfs string, env []string, stdin string, argv ...string) (stdout, stderr []byte, exit int) {
	t.Helper()
	NeedRoot(t)
	NeedCommand(t, "unshare", "chroot", "mount")
	lower := overlayLower(t, rootfs)
	tmp := t.TempDir()
	args := []string{
		"unshare", "--mount", "--propagation=private", "--pid", "--net", "--ipc", "--uts", "--fork", "--kill-child",
		"/bin/sh", "-c", mountScript, "mount", lower, tmp,
		"/bin/sh", "-c", devScript, "dev", tmp + "/root",
	}
	args = append(args, envCommand(t, env)...)
	args = append(args, commandPath(t, "chroot"), tmp+"/root")
	args = append(args, argv...)
	return runContainer(t, stdin, args, fmt.Sprintf("chroot %s %q", rootfs, argv))
}

// RunRunc runs argv in rootfs with runc, from a bundle made by `runc spec`
// with terminal false, the root read-write and exactly env as the process
// environment. runc's writes (dev/, proc/, sys/ mount points) and the
// program's go to an overlay that vanishes afterwards: rootfs is never
// changed. Needs root.
func RunRunc(t testing.TB, rootfs string, env []string, stdin string, argv ...string) (stdout, stderr []byte, exit int) {
	t.Helper()
	NeedRoot(t)
	NeedCommand(t, "runc", "unshare", "mount")
	lower := overlayLower(t, rootfs)
	tmp, bundle, state := t.TempDir(), t.TempDir(), t.TempDir()
	id := Name(t)

	cmd := exec.Command("runc", "spec", "--bundle", bundle)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v\n%s", err, out)
	}
	configPath := filepath.Join(bundle, "config.json")
	data, err := os.ReadFile(configPath)
	if err != nil {
		t.Fatal(err)
	}
	var config map[string]any
	if err := json.Unmarshal(data, &config); err != nil {
		t.Fatalf("runc spec wrote %s: %v", configPath, err)
	}
	process, _ := config["process"].(map[string]any)
	if process == nil {
		t.Fatalf("runc spec wrote no process in %s", configPath)
	}
	process["terminal"] = false
	process["args"] = argv
	if env == nil {
		env = []string{}
	}
	process["env"] = env
	config["root"] = map[string]any{"path": tmp + "/root", "readonly": false}
	if data, err = json.MarshalIndent(config, "", "\t"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(configPath, data, 0o644); err != nil {
		t.Fatal(err)
	}

	runc := commandPath(t, "runc")
	t.Cleanup(func() {
		// Only needed when runc itself was killed (timeout): then the
		// container may still run.
		if _, err := os.Stat(filepath.Join(state, id)); err == nil {
			_ = exec.Command(runc, "--root", state, "delete", "--force", id).Run()
		}
	})
	args := []string{
		"unshare", "--mount", "--propagation=private", "--fork", "--kill-child",
		"/bin/sh", "-c", mountScript, "mount", lower, tmp,
		runc, "--root", state, "run", "--bundle", bundle, id,
	}
	return runContainer(t, stdin, args, fmt.Sprintf("runc %s %q", rootfs, argv))
}

// runContainer runs a RunChroot or RunRunc command line and fails the test
// when the container could not be set up.
func runContainer(t testing.TB, stdin string, args []string, desc string) (stdout, stderr []byte, exit int) {
	t.Helper()
	stdout, stderr, exit = run(t, []string{DefaultPath}, stdin, args, desc)
	if exit == 125 && bytes.Contains(stderr, []byte(setupFailed)) {
		t.Fatalf("%s:\n%s", desc, stderr)
	}
	return stdout, stderr, exit
}

// overlayLower checks that rootfs is a directory that an overlay can use as
// its lower layer and returns its absolute path.
func overlayLower(t testing.TB, rootfs string) string {
	t.Helper()
	abs, err := filepath.Abs(rootfs)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		t.Fatalf("rootfs %s is not a directory (%v)", rootfs, err)
	}
	if strings.ContainsAny(abs, ",:\\") {
		t.Fatalf("rootfs path %q has a character that overlay options cannot hold", abs)
	}
	return abs
}

// envCommand returns the env(1) command line that runs the rest with exactly
// env as the environment.
func envCommand(t testing.TB, env []string) []string {
	t.Helper()
	cmd := []string{commandPath(t, "env"), "-i"}
	for _, kv := range env {
		if !strings.Contains(kv, "=") || strings.HasPrefix(kv, "-") || strings.HasPrefix(kv, "=") {
			t.Fatalf("bad environment entry %q", kv)
		}
		cmd = append(cmd, kv)
	}
	return cmd
}

func commandPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Unavailable(t, "command %s: %v", name, err)
	}
	return p
}

// run runs argv with exactly env, feeding stdin, and returns what it
// printed and its exit status. desc says what runs, for the test's log.
func run(t testing.TB, env []string, stdin string, argv []string, desc string) (stdout, stderr []byte, exit int) {
	t.Helper()
	if len(argv) == 0 {
		t.Fatal("run: no command")
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if env == nil {
		env = []string{}
	}
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var outBuf, errBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outBuf, &errBuf
	cmd.WaitDelay = 10 * time.Second
	t.Logf("run %s", desc)
	err := cmd.Run()
	stdout, stderr = outBuf.Bytes(), errBuf.Bytes()
	if ctx.Err() != nil {
		t.Fatalf("%s: killed after %v\nstdout:\n%s\nstderr:\n%s", desc, runTimeout, stdout, stderr)
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return stdout, stderr, 0
	case errors.As(err, &exitErr):
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return stdout, stderr, 128 + int(ws.Signal())
		}
		return stdout, stderr, exitErr.ExitCode()
	default:
		t.Fatalf("%s: %q: %v\nstderr:\n%s", desc, argv, err, stderr)
		return nil, nil, -1
	}
}
