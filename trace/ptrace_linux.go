//go:build linux && (amd64 || arm64)

package trace

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// ptraceOptions makes the kernel attach every new process and thread,
// report execs and seccomp stops, mark syscall stops with 0x80, and kill
// every tracee if the tracer thread dies.
const ptraceOptions = unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_TRACEFORK |
	unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACEEXEC |
	unix.PTRACE_O_TRACESECCOMP | unix.PTRACE_O_EXITKILL

// ptrace makes a ptrace request. None blocks, so it is a raw system call:
// the tracer makes tens of thousands of them.
func ptrace(req int, tid int, addr, data uintptr) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), addr, data, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// ptracePtr is ptrace with a pointer as data, kept a pointer until the
// system call so that the object it points to cannot move.
func ptracePtr(req int, tid int, addr uintptr, data unsafe.Pointer) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), addr, uintptr(data), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// resume restarts a stopped tracee with PTRACE_CONT (or another restart
// request), delivering sig. An error means the tracee is gone (killed
// while stopped); its exit is still reported by wait4, so it is ignored.
func resume(req int, tid int, sig unix.Signal) {
	ptrace(req, tid, 0, uintptr(sig))
}

func eventMsg(tid int) (uint64, error) {
	var msg uint64
	err := ptracePtr(unix.PTRACE_GETEVENTMSG, tid, 0, unsafe.Pointer(&msg))
	return msg, err
}

// syscallInfo is struct ptrace_syscall_info (Linux 5.3). For op EXIT the
// union holds rval in nr and is_error in the low byte of args[0].
type syscallInfo struct {
	op      uint8
	_       [3]uint8
	arch    uint32
	ip, sp  uint64
	nr      uint64
	args    [6]uint64
	retData uint32
	_       uint32
}

func getSyscallInfo(tid int, info *syscallInfo) error {
	return ptracePtr(unix.PTRACE_GET_SYSCALL_INFO, tid, unsafe.Sizeof(*info), unsafe.Pointer(info))
}

func (i *syscallInfo) rval() int64   { return int64(i.nr) }
func (i *syscallInfo) isError() bool { return uint8(i.args[0]) != 0 }
