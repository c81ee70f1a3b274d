package trace

// Sandbox runs the traced program with another root directory, as a
// container runtime runs a container's entrypoint: the tracer stays
// outside and sees the program's paths as the program does, inside.
type Sandbox struct {
	// Root is the directory, on the caller's file system, that the
	// program sees as "/".
	Root string
	// Isolate starts the program in new mount, PID, network, UTS and
	// IPC namespaces, as PID 1, with lo up and no other interface, a
	// fresh /proc, a read-only /sys,
	// and a /dev tmpfs holding null, zero, full, random, urandom and
	// tty, bound from the host, then pivot_root into Root, with
	// Docker's default capabilities less CAP_MKNOD: what runc gives a
	// container. The end of PID 1 ends every process of the
	// run. Without Isolate the program is only chroot'ed into Root,
	// which needs CAP_SYS_CHROOT and nothing else (what "docker
	// build" allows); no process it leaves is spared either: the
	// tracer kills them when the first one exits.
	Isolate bool
	// Overlay, with Isolate, lays a tmpfs over Root: the program may
	// write anywhere, and its writes vanish with the run, never
	// reaching Root's files (hard links of other files included).
	Overlay bool
	// Hostname, with Isolate, is the host name in the run's UTS
	// namespace.
	Hostname string
	// UID, GID and Groups are the credentials the program runs with;
	// zero values are root.
	UID, GID uint32
	Groups   []uint32
}

// SandboxError is the error of a Sandbox that could not be set up: the
// step (the system call and its object: "mount /proc") and why. A caller
// can try a lesser Sandbox (without Isolate) when it sees one.
type SandboxError struct {
	Step string
	Err  error
}

// Error is "sandbox: STEP: reason".
func (e *SandboxError) Error() string { return "sandbox: " + e.Step + ": " + e.Err.Error() }

// Unwrap returns the reason, for errors.Is.
func (e *SandboxError) Unwrap() error { return e.Err }
