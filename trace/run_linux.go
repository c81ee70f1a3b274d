//go:build linux && (amd64 || arm64)

package trace

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Run runs the program argv under the tracer, waits until it and every
// process it started have exited, and returns every path they
// successfully opened, executed, listed or looked up.
//
// argv[0] is looked up in the caller's $PATH, as by os/exec, if it has
// no slash; a relative path with a slash is relative to opts.Dir. A
// program that exits with a non-zero status is not an error: see
// Result.ExitCode. When ctx is done or opts.Timeout expires, every
// traced process is killed and Run returns the partial Result with an
// *Error that matches ctx's error (context.DeadlineExceeded for the
// timeout). If the program could not be started, the Result is nil.
//
// Run must be called from a program that lets this package's init
// function run before its own main does anything: see "The helper" in
// the package documentation.
func Run(ctx context.Context, argv []string, opts *Options) (*Result, error) {
	if len(argv) == 0 {
		return nil, errors.New("trace: empty command line")
	}
	if opts == nil {
		opts = &Options{}
	}
	prog := argv[0]
	sb := opts.Sandbox
	switch {
	case sb != nil && !strings.Contains(prog, "/"):
		lp, err := lookInRoot(sb.Root, prog, opts.Env)
		if err != nil {
			return nil, &Error{Prog: prog, Err: err}
		}
		prog = lp
	case sb != nil && !filepath.IsAbs(prog):
		prog = filepath.Join("/", opts.Dir, prog)
	case !strings.Contains(prog, "/"):
		lp, err := exec.LookPath(prog)
		if err != nil {
			return nil, &Error{Prog: prog, Err: err}
		}
		prog = lp
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, opts.Timeout, &timeoutError{opts.Timeout})
		defer cancel()
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Prog: prog, Err: context.Cause(ctx)}
	}
	if opts.Dir != "" {
		// Checked here, as ForkExec's error would not name it.
		dir := opts.Dir
		if sb != nil {
			dir = filepath.Join(sb.Root, opts.Dir)
		}
		if fi, err := os.Stat(dir); err != nil {
			return nil, &Error{Prog: prog, Err: &fs.PathError{Op: "chdir", Path: opts.Dir, Err: errors.Unwrap(err)}}
		} else if !fi.IsDir() {
			return nil, &Error{Prog: prog, Err: &fs.PathError{Op: "chdir", Path: opts.Dir, Err: syscall.ENOTDIR}}
		}
	}
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return strings.HasPrefix(kv, helperEnv+"=") || strings.HasPrefix(kv, sandboxEnv+"=") || strings.HasPrefix(kv, sandboxDirEnv+"=")
	})
	env = append(env, helperEnv+"="+strconv.Itoa(helperFD))
	attrDir := opts.Dir
	var sys *syscall.SysProcAttr
	if sb != nil {
		spec, err := encodeSandbox(sb)
		if err != nil {
			return nil, &Error{Prog: prog, Err: err}
		}
		env = append(env, sandboxEnv+"="+spec, sandboxDirEnv+"="+opts.Dir)
		attrDir = ""
		if sb.Isolate {
			sys = &syscall.SysProcAttr{Cloneflags: sandboxFlags}
		}
	}

	std, err := newStdio(opts)
	if err != nil {
		return nil, &Error{Prog: prog, Err: err}
	}
	defer std.close()
	sock, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, &Error{Prog: prog, Err: os.NewSyscallError("socketpair", err)}
	}
	t := &tracer{
		tasks:    make(map[int]*task),
		listed:   make(map[listed]bool),
		failures: opts.Failures,
		sandbox:  sb,
	}
	t.res.self, _ = os.Executable()
	attr := &syscall.ProcAttr{
		Dir:   attrDir,
		Env:   env,
		Files: []uintptr{std.child[0].Fd(), std.child[1].Fd(), std.child[2].Fd(), uintptr(sock[1])},
		Sys:   sys,
	}
	helperArgv := append([]string{helperName, prog}, argv...)

	done := make(chan error, 1)
	onOwnThread(done, func() error { return t.run(attr, helperArgv, sock[0], sock[1]) })
	stop := make(chan struct{})
	var watcher sync.WaitGroup
	watcher.Go(func() {
		select {
		case <-ctx.Done():
		case <-stop:
			return
		}
		if opts.Grace > 0 && t.terminate() {
			select {
			case <-time.After(opts.Grace):
			case <-stop:
				return
			}
		}
		t.kill()
	})
	err = <-done
	close(stop)
	watcher.Wait()
	std.close()
	copyErr := std.wait(ctx)
	if err != nil {
		var se *SandboxError
		if sys != nil && !errors.As(err, &se) && (errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL)) {
			err = &SandboxError{Step: "clone (new namespaces)", Err: err}
		}
		return nil, &Error{Prog: prog, Err: err}
	}
	if t.killed.Load() {
		return &t.res, &Error{Prog: prog, Err: &killedError{context.Cause(ctx)}}
	}
	if copyErr != nil {
		return &t.res, &Error{Prog: prog, Err: copyErr}
	}
	return &t.res, nil
}

// timeoutError is the cause of the context of a run with a Timeout.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string { return fmt.Sprintf("%v timeout", e.d) }
func (e *timeoutError) Unwrap() error { return context.DeadlineExceeded }

// killedError says that the run was killed, and why.
type killedError struct{ cause error }

func (e *killedError) Error() string {
	if _, ok := e.cause.(*timeoutError); ok {
		return "killed after " + e.cause.Error()
	}
	return "killed: " + e.cause.Error()
}
func (e *killedError) Unwrap() error { return e.cause }

// task is one traced thread.
type task struct {
	tid   int
	pid   int    // thread group ID; 0 until read from /proc
	nspid int    // the process's ID in an isolated run's PID namespace
	comm  string // valid when pid != 0
	// call is the entry of the system call whose exit stop is awaited.
	call    *call
	args    [6]uint64
	pending bool
	// exec is the path of an execve in flight, resolved at entry,
	// before the new program replaces the memory it was read from.
	exec *execCall
}

type execCall struct {
	path string
	pid  int
	comm string
}

type listed struct {
	pid  int
	path string
}

// tracer is the state of one run. Its methods other than kill run on the
// locked tracer thread only.
type tracer struct {
	root   int // the helper, then the program: its exit status is the run's
	res    Result
	tasks  map[int]*task // written under mu, read freely by the tracer thread
	mu     sync.Mutex
	killed atomic.Bool // set under mu
	ended  bool        // set under mu when no tracee is left: kill does nothing
	// orphaned is set under mu when the first process of a sandboxed
	// run has ended: every process met from then on is killed.
	orphaned bool
	fatal    error // a tracer failure that ended the run
	// started is set once the helper has exec'd the program.
	started  bool
	failures bool            // Options.Failures
	sandbox  *Sandbox        // Options.Sandbox
	listed   map[listed]bool // OpListDir recorded once per process and directory
	info     syscallInfo
	buf      [pathMax]byte
}

// threadTries bounds the threads onOwnThread tries.
const threadTries = 16

// onOwnThread runs fn in a goroutine locked to an OS thread that has no
// child process and is not the process's main thread, and sends its
// error to done; it returns once fn has started. The thread stays locked
// until the goroutine ends, and so ends with it: ptrace requests must
// come from the thread that attached, and if anything goes wrong the
// thread's exit makes PTRACE_O_EXITKILL kill every tracee.
//
// The tracer waits for any of its thread's children and tracees
// (__WNOTHREAD), as it must: a new tracee may report its first stop
// before its parent reports the fork. A thread that ran another
// goroutine may have forked for it (os/exec), and that child is the
// thread's: the wait would reap it and its owner would lose its exit
// status. The main thread is where the kernel hands the children of
// another thread that ends. Each such thread is held by its goroutine,
// so that the next try lands on another, and released, its children
// untouched, once fn runs.
func onOwnThread(done chan<- error, fn func() error) {
	release := make(chan struct{})
	defer close(release)
	for range threadTries {
		own := make(chan bool)
		go func() {
			runtime.LockOSThread()
			if unix.Gettid() == unix.Getpid() || threadHasChildren() {
				own <- false
				<-release
				runtime.UnlockOSThread()
				return
			}
			own <- true
			done <- fn()
		}()
		if <-own {
			return
		}
	}
	done <- fmt.Errorf("no thread without child processes to trace from after %d tries", threadTries)
}

// threadHasChildren reports whether the calling thread has child
// processes, zombies included; false when the kernel does not say
// (without CONFIG_PROC_CHILDREN).
func threadHasChildren() bool {
	b, err := os.ReadFile("/proc/thread-self/children")
	return err == nil && len(strings.TrimSpace(string(b))) > 0
}

// run starts the helper from the locked thread, attaches to it and
// traces until no tracee is left.
func (t *tracer) run(attr *syscall.ProcAttr, argv []string, sock, childSock int) error {
	pid, err := syscall.ForkExec("/proc/self/exe", argv, attr)
	unix.Close(childSock)
	if err != nil {
		unix.Close(sock)
		return fmt.Errorf("starting the trace helper: %w", err)
	}
	if err := ptrace(unix.PTRACE_SEIZE, pid, 0, ptraceOptions); err != nil {
		err = ptraceError(err, pid)
		unix.Close(sock) // the helper reads EOF and exits
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, 0, nil)
		return err
	}
	defer unix.Close(sock)
	t.root = pid
	t.task(pid)
	if _, err := unix.Write(sock, []byte{helperGo}); err != nil {
		unix.Kill(pid, unix.SIGKILL)
	}
	t.loop()
	t.mu.Lock()
	t.ended = true
	t.mu.Unlock()
	if t.fatal != nil {
		return t.fatal
	}
	msg := make([]byte, 0, 64)
	for {
		n, err := unix.Read(sock, msg[len(msg):cap(msg)])
		if n <= 0 || err != nil {
			break
		}
		msg = msg[:len(msg)+n]
	}
	return helperError(msg)
}

// ptraceError explains why PTRACE_SEIZE of pid failed.
func ptraceError(err error, pid int) error {
	if err != unix.EPERM {
		return os.NewSyscallError("ptrace(PTRACE_SEIZE)", err)
	}
	if b, err := os.ReadFile(procPath(pid, "status")); err == nil {
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "TracerPid:\t"); ok && strings.TrimSpace(v) != "0" {
				return fmt.Errorf("ptrace: the program is already traced by process %s (is this program run under strace -f or a debugger?): %w", strings.TrimSpace(v), unix.EPERM)
			}
		}
	}
	hint := "run as a user allowed to trace its children: in a container, add CAP_SYS_PTRACE (docker run --cap-add SYS_PTRACE) or relax its seccomp profile (--security-opt seccomp=unconfined)"
	if b, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); err == nil {
		switch strings.TrimSpace(string(b)) {
		case "2":
			hint = "kernel.yama.ptrace_scope is 2: only a process with CAP_SYS_PTRACE may trace; run as root or add CAP_SYS_PTRACE (docker run --cap-add SYS_PTRACE)"
		case "3":
			hint = "kernel.yama.ptrace_scope is 3: ptrace is disabled on this machine until reboot"
		}
	}
	return fmt.Errorf("ptrace not permitted (%s): %w", hint, err)
}

// task returns the task of tid, adding it if it is new. A task added
// after kill is killed at once, so that no process born during the kill
// escapes it.
func (t *tracer) task(tid int) *task {
	if tk := t.tasks[tid]; tk != nil {
		return tk
	}
	tk := &task{tid: tid}
	t.mu.Lock()
	t.tasks[tid] = tk
	if t.killed.Load() || t.orphaned {
		unix.Kill(tid, unix.SIGKILL)
	}
	t.mu.Unlock()
	return tk
}

func (t *tracer) remove(tid int) {
	t.mu.Lock()
	delete(t.tasks, tid)
	t.mu.Unlock()
}

// killAll kills every traced process left, without marking the run as
// killed.
func (t *tracer) killAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.orphaned = true
	for tid := range t.tasks {
		unix.Kill(tid, unix.SIGKILL)
	}
}

// kill kills every traced process. It may be called from any goroutine.
func (t *tracer) kill() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		return // too late to kill anything: the run is complete
	}
	t.killed.Store(true)
	for tid := range t.tasks {
		unix.Kill(tid, unix.SIGKILL)
	}
}

// terminate sends SIGTERM to the program's first process, as "docker
// stop" does, and marks the run as killed; false if the run had ended.
func (t *tracer) terminate() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		return false
	}
	t.killed.Store(true)
	unix.Kill(t.root, unix.SIGTERM)
	return true
}

// loop waits for tracees until there are none left. Every stop is
// resumed before the next wait, so a tracee is never left stopped.
func (t *tracer) loop() {
	for {
		var ws unix.WaitStatus
		// __WNOTHREAD: only this thread's children and tracees, never
		// a child another goroutine started and will wait for; the
		// thread had no children before the helper (onOwnThread).
		tid, err := unix.Wait4(-1, &ws, unix.WALL|unix.WNOTHREAD, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return // ECHILD: every tracee is gone
		}
		t.handle(tid, ws)
	}
}

func (t *tracer) handle(tid int, ws unix.WaitStatus) {
	if ws.Exited() || ws.Signaled() {
		t.remove(tid)
		if tid == t.root {
			t.res.ExitCode = ws.ExitStatus()
			if ws.Signaled() {
				t.res.Signal = ws.Signal()
			}
			if t.sandbox != nil {
				// As when PID 1 of a namespace ends: nothing the
				// program left behind outlives it.
				t.killAll()
			}
		}
		return
	}
	if !ws.Stopped() {
		return
	}
	tk := t.task(tid)
	sig := ws.StopSignal()
	event := int(ws>>16) & 0xff
	switch {
	case sig == unix.SIGTRAP|0x80:
		t.syscallStop(tk)
	case sig == unix.SIGTRAP && event == unix.PTRACE_EVENT_SECCOMP:
		t.seccompStop(tk)
	case sig == unix.SIGTRAP && (event == unix.PTRACE_EVENT_FORK || event == unix.PTRACE_EVENT_VFORK || event == unix.PTRACE_EVENT_CLONE):
		// The child is attached already; its first stop may come
		// before or after this one.
		if child, err := eventMsg(tid); err == nil {
			t.task(int(child))
		}
		resume(unix.PTRACE_CONT, tid, 0)
	case sig == unix.SIGTRAP && event == unix.PTRACE_EVENT_EXEC:
		t.execStop(tk)
		resume(unix.PTRACE_CONT, tid, 0)
	case event == unix.PTRACE_EVENT_STOP:
		switch sig {
		case unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
			// Group-stop: stay stopped, as without a tracer, until
			// SIGCONT (or SIGKILL); PTRACE_LISTEN still reports
			// what happens next.
			resume(unix.PTRACE_LISTEN, tid, 0)
		default:
			// A new tracee's first stop, or the end of a listen.
			resume(unix.PTRACE_CONT, tid, 0)
		}
	case event != 0:
		resume(unix.PTRACE_CONT, tid, 0)
	default:
		// Signal-delivery-stop: deliver the signal.
		resume(unix.PTRACE_CONT, tid, sig)
	}
}

// seccompStop handles a PTRACE_EVENT_SECCOMP stop, at the entry of one
// of the calls the filter traces.
func (t *tracer) seccompStop(tk *task) {
	info := &t.info
	if err := getSyscallInfo(tk.tid, info); err != nil || info.op != unix.PTRACE_SYSCALL_INFO_SECCOMP {
		if err == unix.EIO || err == unix.EINVAL {
			t.fail(errors.New("PTRACE_GET_SYSCALL_INFO is not supported: Linux 5.3 or later is needed"))
		}
		resume(unix.PTRACE_CONT, tk.tid, 0)
		return
	}
	tk.pending = false
	idx := int(info.retData & unix.SECCOMP_RET_DATA)
	if idx >= len(calls) {
		resume(unix.PTRACE_CONT, tk.tid, 0)
		return
	}
	c := &calls[idx]
	switch c.kind {
	case kExecve, kExecveat:
		// Read the path now: a successful exec replaces the memory
		// it is in. Success shows as PTRACE_EVENT_EXEC, so there is
		// no need to stop at the exit; a failed exec's entry is
		// dropped at the next call.
		tk.exec = t.execEntry(tk, c, &info.args)
		if t.failures && tk.exec != nil && t.started {
			// Stop at the exit too: only a failed exec returns.
			tk.call, tk.args, tk.pending = c, info.args, true
			resume(unix.PTRACE_SYSCALL, tk.tid, 0)
			return
		}
		resume(unix.PTRACE_CONT, tk.tid, 0)
	case kGetdents:
		t.listDir(tk, int32(info.args[0]))
		resume(unix.PTRACE_CONT, tk.tid, 0)
	case kSetuid, kSetgid, kSetfsuid, kSetfsgid, kSetreuid, kSetregid, kSetresuid, kSetresgid, kSetgroups, kChown, kLchown, kFchown, kFchownat:
		// The IDs are in the arguments: no need to stop at the exit.
		t.idEntry(tk, c, &info.args)
		resume(unix.PTRACE_CONT, tk.tid, 0)
	default:
		tk.exec = nil
		tk.call, tk.args, tk.pending = c, info.args, true
		resume(unix.PTRACE_SYSCALL, tk.tid, 0)
	}
}

// syscallStop handles a syscall-exit stop, which follows a seccomp stop
// resumed with PTRACE_SYSCALL.
func (t *tracer) syscallStop(tk *task) {
	info := &t.info
	if err := getSyscallInfo(tk.tid, info); err == nil && info.op == unix.PTRACE_SYSCALL_INFO_ENTRY {
		// Kernels before 4.8 stop at the entry after the seccomp
		// stop: go on to the exit.
		resume(unix.PTRACE_SYSCALL, tk.tid, 0)
		return
	} else if err == nil && info.op == unix.PTRACE_SYSCALL_INFO_EXIT && tk.pending {
		switch errno := syscall.Errno(-info.rval()); {
		case !info.isError():
			t.exit(tk, info.rval(), 0)
		case t.failures && (errno == unix.ENOENT || errno == unix.ENOTDIR):
			t.exit(tk, 0, errno)
		}
	}
	tk.pending = false
	resume(unix.PTRACE_CONT, tk.tid, 0)
}

// fail ends the run because the tracer cannot do its job.
func (t *tracer) fail(err error) {
	if t.fatal == nil {
		t.fatal = err
		t.kill()
	}
}

// proc fills in the thread group ID and name of tk from /proc.
func (t *tracer) proc(tk *task) {
	if tk.pid != 0 {
		return
	}
	b, err := os.ReadFile(procPath(tk.tid, "status"))
	if err != nil {
		tk.pid = tk.tid
		return
	}
	for line := range strings.Lines(string(b)) {
		k, v, _ := strings.Cut(strings.TrimSuffix(line, "\n"), ":\t")
		switch k {
		case "Name":
			tk.comm = v
		case "Tgid":
			tk.pid, _ = strconv.Atoi(v)
		case "NSpid":
			// The PID inside the run's namespace, as the program
			// knows it: the last of the list.
			if f := strings.Fields(v); t.sandbox != nil && t.sandbox.Isolate && len(f) > 1 {
				tk.nspid, _ = strconv.Atoi(f[len(f)-1])
			}
		}
	}
	if tk.pid == 0 {
		tk.pid = tk.tid
	}
}

func (t *tracer) record(tk *task, a Access) {
	t.proc(tk)
	a.PID, a.Comm = tk.pid, tk.comm
	if tk.nspid != 0 {
		a.PID = tk.nspid
	}
	if a.Err != 0 {
		t.res.Failed = append(t.res.Failed, a)
		return
	}
	t.res.Accesses = append(t.res.Accesses, a)
}

// connectFailed records a connect to a unix socket path that failed.
func (t *tracer) connectFailed(tk *task, args *[6]uint64, errno syscall.Errno) {
	// struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; }
	family, err := readUint(tk.tid, args[1], 2)
	if err != nil || family != unix.AF_UNIX || args[2] <= 3 {
		return // not a unix socket, or an abstract or unnamed one
	}
	s, err := readString(tk.tid, args[1]+2, &t.buf)
	if err != nil || s == "" {
		return
	}
	p, err := t.absPath(tk.tid, unix.AT_FDCWD, s)
	if err != nil {
		return
	}
	t.record(tk, Access{Path: p, Op: OpConnect, Err: errno})
}

// execEntry resolves the path of an execve or execveat at its entry.
func (t *tracer) execEntry(tk *task, c *call, args *[6]uint64) *execCall {
	dirfd, name, flags := int32(unix.AT_FDCWD), args[0], uint64(0)
	if c.kind == kExecveat {
		dirfd, name, flags = int32(args[0]), args[1], args[4]
	}
	s, err := readString(tk.tid, name, &t.buf)
	if err != nil {
		return nil
	}
	var path string
	if s == "" && flags&unix.AT_EMPTY_PATH != 0 {
		path, err = t.fdPath(tk.tid, dirfd) // fexecve
	} else {
		path, err = t.absPath(tk.tid, dirfd, s)
	}
	if err != nil {
		return nil
	}
	e := &execCall{path: path}
	if t.started {
		t.proc(tk)
		e.pid, e.comm = tk.pid, tk.comm
	} else {
		e.pid = t.root // the helper: no name worth reporting
	}
	return e
}

// execStop handles PTRACE_EVENT_EXEC: the exec recorded at the entry
// succeeded. If a thread other than the leader called it, the kernel has
// given it the leader's ID, which tk is, and the former ID is gone.
func (t *tracer) execStop(tk *task) {
	src := tk
	if former, err := eventMsg(tk.tid); err == nil && int(former) != tk.tid {
		if ft := t.tasks[int(former)]; ft != nil {
			src = ft
		}
		t.remove(int(former))
	}
	e := src.exec
	tk.exec, tk.pending, src.exec = nil, false, nil
	tk.pid, tk.nspid, tk.comm = 0, 0, "" // re-read: the name changed
	if e == nil {
		// An exec the filter did not see: the helper's own start from
		// /proc/self/exe, when the tracer attached before the kernel
		// reported it. The program has not started yet.
		return
	}
	t.started = true
	a := Access{Path: e.path, Op: OpExec, PID: e.pid, Comm: e.comm}
	t.res.Accesses = append(t.res.Accesses, a)
	// The kernel runs a script's interpreter, and its interpreter's
	// (up to 4 levels), without a system call the filter sees.
	for range 4 {
		interp := shebang(t.hostPath(tk.tid, a.Path))
		if interp == "" {
			break
		}
		p, err := t.absPath(tk.tid, unix.AT_FDCWD, interp)
		if err != nil {
			break
		}
		a.Path = p
		t.res.Accesses = append(t.res.Accesses, a)
	}
}

// listDir records the directory open as fd, at the entry of getdents:
// once per process, as a listing takes several calls.
func (t *tracer) listDir(tk *task, fd int32) {
	path, err := t.fdPath(tk.tid, fd)
	if err != nil || !strings.HasPrefix(path, "/") {
		return
	}
	t.proc(tk)
	k := listed{tk.pid, path}
	if t.listed[k] {
		return
	}
	t.listed[k] = true
	t.record(tk, Access{Path: path, Op: OpListDir, Dir: true})
}

// exit records a call that succeeded with return value rval, or with
// Options.Failures one that failed with errno. The path is read only now,
// so that the many calls that fail cost no more than their two stops.
func (t *tracer) exit(tk *task, rval int64, errno syscall.Errno) {
	c, args := tk.call, &tk.args
	dirfd := int32(unix.AT_FDCWD)
	var name, flags, buf, resolve uint64
	a := Access{Err: errno}
	switch c.kind {
	case kExecve, kExecveat:
		// Only a failed exec comes here.
		if e := tk.exec; e != nil && errno != 0 {
			tk.exec = nil
			t.record(tk, Access{Path: e.path, Op: OpExec, Err: errno})
		}
		return
	case kMkdir:
		a.Op, name, a.Create, a.Dir = OpMkdir, args[0], true, true
	case kMkdirat:
		a.Op, dirfd, name, a.Create, a.Dir = OpMkdir, int32(args[0]), args[1], true, true
	case kChdir:
		if errno == 0 {
			return // the working directory is read from /proc when needed
		}
		a.Op, name, a.Dir = OpChdir, args[0], true
	case kConnect:
		if errno == 0 {
			return
		}
		t.connectFailed(tk, args, errno)
		return
	case kOpen:
		a.Op, name, flags = OpOpen, args[0], args[1]
	case kCreat:
		a.Op, name, flags = OpOpen, args[0], unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC
	case kOpenat:
		a.Op, dirfd, name, flags = OpOpen, int32(args[0]), args[1], args[2]
	case kOpenat2:
		a.Op, dirfd, name = OpOpen, int32(args[0]), args[1]
		// struct open_how { u64 flags, mode, resolve; }
		var err error
		if flags, err = readUint(tk.tid, args[2], 8); err != nil {
			return
		}
		resolve, _ = readUint(tk.tid, args[2]+16, 8)
	case kStat, kLstat:
		a.Op, name, buf = OpStat, args[0], args[1]
	case kFstatat:
		a.Op, dirfd, name, buf, flags = OpStat, int32(args[0]), args[1], args[2], args[3]
	case kStatx:
		a.Op, dirfd, name, flags, buf = OpStat, int32(args[0]), args[1], args[2], args[4]
	case kAccess:
		a.Op, name = OpAccess, args[0]
	case kFaccessat:
		a.Op, dirfd, name = OpAccess, int32(args[0]), args[1]
	case kReadlink:
		a.Op, name = OpReadlink, args[0]
	case kReadlinkat:
		a.Op, dirfd, name = OpReadlink, int32(args[0]), args[1]
	default:
		return
	}
	s, err := readString(tk.tid, name, &t.buf)
	if err != nil {
		return
	}
	switch {
	case s == "" && (a.Op == OpStat && flags&unix.AT_EMPTY_PATH != 0):
		return // fstat of dirfd, named nothing
	case resolve&unix.RESOLVE_IN_ROOT != 0 && strings.HasPrefix(s, "/"):
		s = "." + s // absolute within dirfd
	}
	if a.Path, err = t.absPath(tk.tid, dirfd, s); err != nil {
		return
	}
	if errno != 0 {
		if a.Op == OpOpen {
			a.Create = flags&unix.O_CREAT != 0
			a.Dir = flags&unix.O_DIRECTORY != 0
		}
		t.record(tk, a)
		return
	}
	switch a.Op {
	case OpMkdir:
		return // a directory made is the run's, not the program's
	case OpOpen:
		if flags&unix.O_TMPFILE == unix.O_TMPFILE {
			a.Dir = true // an unnamed file in the directory a.Path
			break
		}
		a.Write = flags&unix.O_ACCMODE != unix.O_RDONLY || flags&(unix.O_CREAT|unix.O_TRUNC) != 0
		a.Dir = flags&unix.O_DIRECTORY != 0
		if !a.Dir && !a.Write {
			var st unix.Stat_t
			if unix.Stat(procPath(tk.tid, "fd/"+strconv.FormatInt(rval, 10)), &st) == nil {
				a.Dir = st.Mode&unix.S_IFMT == unix.S_IFDIR
			}
		}
	case OpStat:
		if c.modeLen != 0 {
			if mode, err := readUint(tk.tid, buf+uint64(c.modeOff), int(c.modeLen)); err == nil {
				a.Dir = mode&unix.S_IFMT == unix.S_IFDIR
			}
		}
	}
	t.record(tk, a)
}
