//go:build linux && (amd64 || arm64)

package trace

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The helper. Go cannot run code in a child between fork and exec, and
// the seccomp filter must be installed exactly there: after the fork, so
// that the tracer itself is not filtered, and before the exec, so that
// the target runs under it from its first instruction. So Run starts
// /proc/self/exe (the program that linked this package) with helperEnv
// set; this package's init function sees it, installs the filter and
// execs the target, and never returns to the program's main.
//
// Protocol, on file descriptor helperFD (a socket):
//   - the helper waits for one byte, "g", which the tracer writes once
//     it has attached with PTRACE_SEIZE; anything else, or EOF (the
//     tracer died), makes the helper exit without running anything;
//   - the helper then marks the socket close-on-exec: a successful exec
//     closes it without a word; on failure the helper writes
//     "<step> <errno>" and exits with status 127.
const (
	helperEnv  = "_FROMSCRATCH_TRACE_HELPER"
	helperFD   = 3
	helperGo   = 'g'
	helperName = "fromscratch-trace-helper"
)

func init() {
	if v, ok := os.LookupEnv(helperEnv); ok && v == strconv.Itoa(helperFD) {
		helper()
	}
}

// helper runs in the re-executed child. It is the only code between
// the helper's start and the target's exec; it never returns.
func helper() {
	// Package init runs on the main thread, which runtime.main has
	// locked; lock again so that the thread that installs the filter is
	// the one that calls execve even if that ever changes.
	runtime.LockOSThread()
	var b [1]byte
	for {
		n, err := unix.Read(helperFD, b[:])
		if err == unix.EINTR {
			continue
		}
		if n != 1 || b[0] != helperGo {
			os.Exit(126)
		}
		break
	}
	unix.CloseOnExec(helperFD)
	if len(os.Args) < 3 {
		helperFail("args", unix.EINVAL)
	}
	path, argv := os.Args[1], os.Args[2:]
	env := os.Environ()
	for i, kv := range env {
		if strings.HasPrefix(kv, helperEnv+"=") {
			env = append(env[:i:i], env[i+1:]...)
			break
		}
	}
	sb, env, err := helperSandbox(env)
	if err != nil {
		helperFail("sandbox spec", unix.EINVAL)
	}
	if sb != nil {
		dir := ""
		for i, kv := range env {
			if v, ok := strings.CutPrefix(kv, sandboxDirEnv+"="); ok {
				dir = v
				env = append(env[:i:i], env[i+1:]...)
				break
			}
		}
		if err := sb.enter(dir); err != nil {
			var se *stepError
			if errors.As(err, &se) {
				helperFail("sandbox "+se.step, se.errno)
			}
			helperFail("sandbox", unix.EINVAL)
		}
	}
	prog, err := buildFilter()
	if err != nil {
		helperFail("seccomp", unix.EINVAL)
	}
	if err := installFilter(prog); err != nil {
		var errno syscall.Errno
		errors.As(err, &errno)
		helperFail("seccomp", errno)
	}
	// syscall.Exec restores the RLIMIT_NOFILE the Go runtime raised.
	err = syscall.Exec(path, argv, env)
	var errno syscall.Errno
	errors.As(err, &errno)
	helperFail("exec", errno)
}

func helperFail(step string, errno syscall.Errno) {
	unix.Write(helperFD, []byte(step+" "+strconv.Itoa(int(errno))))
	os.Exit(127)
}

// helperError parses what the helper wrote: nil for nothing (the exec
// succeeded).
func helperError(msg []byte) error {
	if len(msg) == 0 {
		return nil
	}
	i := strings.LastIndexByte(string(msg), ' ')
	if i < 0 {
		return errors.New("helper: " + string(msg))
	}
	step, num := string(msg[:i]), string(msg[i+1:])
	n, err := strconv.Atoi(num)
	if err != nil {
		return errors.New("helper: " + string(msg))
	}
	if s, ok := strings.CutPrefix(step, "sandbox "); ok {
		return &SandboxError{Step: s, Err: syscall.Errno(n)}
	}
	return &os.SyscallError{Syscall: step, Err: syscall.Errno(n)}
}
