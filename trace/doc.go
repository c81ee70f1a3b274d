// Package trace runs a program under ptrace and reports every path it and
// its descendants really opened, executed, listed or looked up.
//
// Reading a program's ELF headers finds the libraries the dynamic loader
// maps, but not what the program finds at run time: Python's standard
// library and extension modules, Perl modules, libmagic's database,
// OpenSSL's configuration and providers, plugins loaded with dlopen,
// programs a wrapper script executes. Running the program once under
// [Run] finds them:
//
//	res, err := trace.Run(ctx, []string{"/usr/bin/python3", "-c", "import ssl"}, nil)
//	...
//	for _, path := range res.Files() { ... }
//
// The package is a source of paths and nothing more: it decides nothing
// about images.
//
// # What is traced
//
// Every process and thread the program starts is followed (forks, vforks,
// clones, execs, including an exec by a thread that is not the leader),
// and these system calls are recorded when they succeed, with the
// 32-bit i386 forms on amd64:
//
//   - open, openat, openat2, creat ([OpOpen]);
//   - execve, execveat ([OpExec]), and the "#!" interpreters of scripts,
//     which the kernel runs without a system call;
//   - stat, lstat, newfstatat, statx ([OpStat]);
//   - access, faccessat, faccessat2 ([OpAccess]);
//   - readlink, readlinkat ([OpReadlink]);
//   - getdents64, getdents ([OpListDir], once per process and directory).
//
// Paths are made absolute against the process's working directory or the
// directory of the dirfd, read from /proc while the process is stopped in
// the call, and are otherwise kept as the program wrote them: symbolic
// links are not resolved, so that an image can keep them. chdir and
// fchdir are not traced: /proc/PID/cwd, read when a relative path needs
// it, is always right, also for threads that share a working directory.
//
// [Result.Files] is what an image of the program needs; [Result.Lookups]
// the directories and links it only walked through.
//
// The user and group IDs the processes take on or give files to are in
// [Result.IDs], read at the entry of setuid, setgid, setfsuid, setfsgid,
// setreuid, setregid, setresuid, setresgid, setgroups, chown, lchown,
// fchown and fchownat: a service that drops privileges to its user shows
// that user's ID there, which is what names it asks NSS for come to (the
// names themselves never reach the kernel).
//
// # What was not found
//
// With [Options.Failures], the lookups that failed with ENOENT or ENOTDIR
// are in [Result.Failed]: opens (and opendir), stats, access, readlink,
// exec, chdir, mkdir (its parent missing) and connect to a unix socket
// path. This
// is what the check package reports when a program runs from an image.
//
// # Sandbox
//
// With [Options.Sandbox] the program runs with another root, as a
// container runtime would run it: in new namespaces, as PID 1, with /proc,
// /sys, /dev, after pivot_root, and optionally with its writes on a tmpfs
// overlay ([Sandbox.Isolate], [Sandbox.Overlay]); or, where namespaces are
// refused, only chroot'ed. The helper sets the sandbox up before it
// installs the filter, so none of it is traced; paths are reported as the
// program sees them, inside, and in an isolated run so are PIDs. A
// sandboxed run ends with its first process: what it left is killed, as
// the kernel kills a PID namespace with its init. [Options.Grace] makes a
// stop gentle: SIGTERM first, SIGKILL after the grace.
//
// # Speed
//
// A ptrace tracer that stops at every system call (strace without
// --seccomp-bpf) makes a program several times slower. Run installs a
// seccomp filter in the program before it starts: the calls above stop
// (SECCOMP_RET_TRACE), every other call runs at full speed
// (SECCOMP_RET_ALLOW), and fstat, which glibc implements as
// newfstatat(fd, "", AT_EMPTY_PATH), is let through too. A traced call
// costs two stops, at its entry and its exit, as only its result says
// whether it succeeded; paths are read with process_vm_readv (falling
// back to /proc/PID/mem), and only once the call succeeded, except for
// exec, whose success replaces the memory the path was in: that one is
// read at the entry and confirmed by PTRACE_EVENT_EXEC, without an exit
// stop.
//
// # The helper
//
// The filter must be installed in the child between fork and exec, where
// os/exec runs no Go code. So, as runc and other container runtimes do,
// Run re-executes the running program: it starts /proc/self/exe with the
// environment variable _FROMSCRATCH_TRACE_HELPER set, and this package's
// init function, seeing it, runs the helper instead of letting the
// program continue. The helper waits until the tracer has attached with
// PTRACE_SEIZE, sets no_new_privs, installs the filter on its thread and
// execs the target, removing the variable from its environment. Any
// program that imports this package therefore starts as usual except with
// that variable set; and the init functions of the packages initialized
// before this one also run in the helper, so they must not have side
// effects. The alternatives were worse: a separate helper binary to
// install and find, or cgo, or filtering the tracer's own thread (which
// would turn its file system calls into ENOSYS).
//
// All ptrace requests come from one locked OS thread that ends with the
// run; PTRACE_O_EXITKILL kills the traced processes if the tracer dies.
// That thread waits for any of its children and tracees (a new tracee may
// stop before its parent reports the fork), so it is one without children
// and not the main thread, where the kernel hands the children of threads
// that end: the caller's own children, started from any goroutine, keep
// their exit status for it.
//
// # Limits
//
//   - Linux 5.3 or later (PTRACE_GET_SYSCALL_INFO), on amd64 or arm64.
//     x32 calls, and 32-bit ARM calls on arm64, are let through
//     unrecorded.
//   - Only successful calls are recorded (and, with Failures, those that
//     found nothing); files the kernel opens itself
//     (the ELF interpreter, binfmt_misc handlers) are not, except "#!"
//     interpreters. rename, unlink, mkdir and other changes are not
//     traced, so a file written under another name and renamed is not
//     known as written.
//   - Under no_new_privs, set-user-ID programs run without their
//     privileges; a program that itself uses ptrace (a debugger, strace)
//     cannot, as it is already traced.
//   - A newfstatat or statx with AT_EMPTY_PATH and a non-empty path is
//     not recorded (the filter cannot see the path).
//   - "..": a path's ".." after a symbolic link is resolved as the
//     kernel does, on the tracer's view of the file system; a traced
//     process that changed its root (chroot) is not followed there.
//   - Run returns when every traced process has exited, as strace -f
//     does: without a Sandbox, a daemon the program leaves behind keeps
//     it waiting until the timeout.
//   - ptrace must be permitted: in a container, CAP_SYS_PTRACE or a
//     seccomp profile that allows it, and kernel.yama.ptrace_scope below
//     3. The error says so.
package trace
