// Package check proves that a plan runs: it stages exactly the planned
// files into a private tree, runs the program there in a sandbox under
// the tracer, and reports every path the program looked for, did not
// find, and would have found in the source root, with who looked for it:
//
//	rep, err := check.Run(ctx, plan, check.WithArgs("/usr/sbin/nginx", "-g", "daemon off;"), check.WithTimeout(3*time.Second))
//	...
//	for _, m := range rep.Missing {
//		fmt.Println(m) // /var/lib/nginx: missing — mkdir of /var/lib/nginx/body by pid 1 (nginx)
//	}
//
// The same run in the source root gives the exit status (and, with
// WithOutput, the standard output) that the staged run must match, and
// two findings no failed lookup shows ([MissingKind]): the entries of a
// directory the staged run listed that the source run went on to use
// (fortune lists its cookie directory and opens what it finds), and the
// users and groups a run took on or gave files to (setuid, setgroups,
// chown…) that the image's /etc/passwd or /etc/group does not name and
// the source root's does (nginx's "user www-data;" is asked of NSS; the
// staged run fails on the name, the source run goes on to setuid to 33).
// Only the staged run, made of exactly the planned files, judges the
// plan. A
// program still running after WithTimeout is stopped, SIGTERM then
// SIGKILL, as "docker stop" does; that is success when nothing was
// missing.
//
// [Fix] closes the loop: it calls collector.Collect, checks the plan, adds
// what was missing (collector.WithTraced, each path with the lookup as its
// reason: files with their closures, directories with their mode,
// symlinks as symlinks; collector.WithAccountIDs for accounts, from the
// root's /etc/passwd and /etc/group, never shadow) and
// runs again, until a run finds nothing new.
//
// # The sandbox
//
// As a container runtime gives (trace.Sandbox with Isolate): new mount,
// PID, network (lo only), UTS and IPC namespaces, the program as PID 1
// and root with Docker's default capabilities less CAP_MKNOD,
// /proc, a read-only /sys, a /dev tmpfs with null, zero, full, random,
// urandom and tty, /etc/hosts, /etc/hostname and /etc/resolv.conf when the
// plan has none, pivot_root into the staged tree, and a tmpfs laid over
// it so that the program's writes never reach a file (the tree is made of
// hard links to the source's files where the file system allows). The end
// of PID 1 kills every process left.
//
// Where namespaces are not permitted (in "docker build", whose seccomp
// profile refuses them), the run falls back to a chroot into a tree of
// copies, with device nodes made by mknod and no /proc; Report.Degraded
// says in one line what could not be set up. Without CAP_SYS_CHROOT, or
// without ptrace, Run fails: a check that cannot run is never reported as
// passed.
//
// The staging tree is a fresh directory under os.TempDir (WithTempDir),
// removed on every return. Its hard links leave the root's files as they
// were, but for their change time (ctime), which a link updates.
package check
