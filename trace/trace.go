package trace

import (
	"fmt"
	"io"
	"syscall"
	"time"
)

// Options configures Run. The zero value, like a nil *Options, runs the
// program in the current directory with the current environment and
// stdin, stdout and stderr connected to the null device, as os/exec does.
type Options struct {
	// Dir is the working directory of the program; empty for the
	// caller's.
	Dir string
	// Env is the environment, as "KEY=value" strings; nil for the
	// caller's (os.Environ).
	Env []string
	// Stdin, Stdout and Stderr are connected to the program as in
	// os/exec.Cmd: an *os.File is passed as is, anything else through a
	// pipe, nil is the null device.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Timeout, if positive, bounds the whole run: when it expires every
	// traced process is killed and Run returns an error that matches
	// context.DeadlineExceeded.
	Timeout time.Duration
	// Grace, if positive, makes the end of a run by ctx or Timeout
	// gentle, as "docker stop" is: the program's first process gets
	// SIGTERM, and every traced process SIGKILL only Grace later.
	Grace time.Duration
	// Failures records, in Result.Failed, the lookups that failed with
	// ENOENT or ENOTDIR: what the program looked for and did not find.
	Failures bool
	// Sandbox, if not nil, runs the program with another root
	// directory, as a container runtime would; Dir and a relative or
	// PATH-searched argv[0] are then inside it.
	Sandbox *Sandbox
}

// Op is the kind of system call that revealed a path.
type Op uint8

const (
	OpOpen     Op = iota + 1 // open, openat, openat2, creat
	OpExec                   // execve, execveat, or a #! interpreter of an executed script
	OpStat                   // stat, lstat, newfstatat, statx
	OpAccess                 // access, faccessat, faccessat2
	OpReadlink               // readlink, readlinkat: the path is a symbolic link
	OpListDir                // getdents64 on the directory
	OpMkdir                  // mkdir, mkdirat: only in Result.Failed, when the parent is missing
	OpConnect                // connect to a unix socket path: only in Result.Failed
	OpChdir                  // chdir: only in Result.Failed
)

var opNames = [...]string{OpOpen: "open", OpExec: "exec", OpStat: "stat", OpAccess: "access", OpReadlink: "readlink", OpListDir: "listdir", OpMkdir: "mkdir", OpConnect: "connect", OpChdir: "chdir"}

// String is the operation's name.
func (o Op) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Access is one successful system call that named a path.
type Access struct {
	// Path is absolute and lexically clean, exactly as the process
	// named it: relative paths are joined to the process's working
	// directory or to the directory of the dirfd, but symbolic links
	// are not resolved (except one followed by "..", which the kernel
	// resolves too). For OpListDir it is the directory's path as the
	// kernel reports it for the open descriptor.
	Path string
	Op   Op
	// PID is the process (thread group) ID and Comm its name
	// (/proc/PID/comm) when the call was made: for OpExec, the name
	// of the program that called exec, empty for the exec of the
	// traced program itself (made by the tracer's helper).
	PID  int
	Comm string
	// Write is set for an open for writing (O_WRONLY, O_RDWR), one that
	// may create or truncate (O_CREAT, O_TRUNC) and creat.
	Write bool
	// Dir is set when the path is known to be a directory: opened with
	// O_DIRECTORY or found to be one, listed, or stat'ed as one.
	Dir bool
	// Create is set for a call that would have created Path: an open
	// with O_CREAT, creat, mkdir. When it failed with ENOENT, what was
	// missing is the parent directory.
	Create bool
	// Err is, in Result.Failed, the error of the call (ENOENT or
	// ENOTDIR); 0 in Result.Accesses.
	Err syscall.Errno
}

// String is "PID COMM OP PATH", with "(write)" and "(dir)" when set.
func (a Access) String() string {
	s := fmt.Sprintf("%d %s %s %s", a.PID, a.Comm, a.Op, a.Path)
	if a.Write {
		s += " (write)"
	}
	if a.Dir {
		s += " (dir)"
	}
	if a.Err != 0 {
		s += ": " + a.Err.Error()
	}
	return s
}

// Result is what a traced run did.
type Result struct {
	// Accesses are the successful calls in the order they returned,
	// from every process and thread of the run.
	Accesses []Access
	// Failed are, with Options.Failures, the calls that failed with
	// ENOENT or ENOTDIR, in the order they returned.
	Failed []Access
	// IDs are the user and group IDs the run's processes took on
	// (setuid, setresgid, setgroups…) or gave files to (chown…), each
	// once, with the first call that used it: the accounts the program
	// needs by name, as a service dropping privileges to its user does.
	IDs []IDUse
	// ExitCode is the exit status of the program, or -1 if a signal
	// killed it; Signal is that signal.
	ExitCode int
	Signal   syscall.Signal

	self string // the tracer's own executable, left out of Files
}

// An IDUse is a user or group ID that a process passed to the kernel, as
// the tracer saw it at the entry of the call (whether the call then
// succeeded or not: a call refused for want of privilege still names the
// account the program wanted).
type IDUse struct {
	ID    uint32
	Group bool   // a group ID; else a user ID
	Call  string // the system call: "setuid", "setresgid", "setgroups", "fchownat"…
	// PID is the process, as numbered in the run's PID namespace when
	// it is isolated, and Comm its name.
	PID  int
	Comm string
}

// String is "uid 33 (setuid by pid 7, nginx)".
func (u IDUse) String() string {
	what := "uid"
	if u.Group {
		what = "gid"
	}
	return fmt.Sprintf("%s %d (%s by pid %d, %s)", what, u.ID, u.Call, u.PID, u.Comm)
}

// Error is the error of a run that failed to start or did not finish.
type Error struct {
	Prog string // the program, as resolved from argv[0]
	Err  error
}

// Error is "trace: PROG: reason".
func (e *Error) Error() string { return "trace: " + e.Prog + ": " + e.Err.Error() }

// Unwrap returns the reason, for errors.Is.
func (e *Error) Unwrap() error { return e.Err }
