//go:build linux && (amd64 || arm64)

package trace

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Classic BPF opcodes used by the filter.
const (
	bpfLdAbs  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	bpfJeq    = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	bpfJset   = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
	bpfRet    = unix.BPF_RET | unix.BPF_K
	offNr     = 0  // offsetof(struct seccomp_data, nr)
	offArch   = 4  // offsetof(struct seccomp_data, arch)
	offArgs   = 16 // offsetof(struct seccomp_data, args); low word first
	retAllow  = unix.SECCOMP_RET_ALLOW
	retTrace  = unix.SECCOMP_RET_TRACE
	atEmpty   = unix.AT_EMPTY_PATH
	maxFilter = 4096 // BPF_MAXINSNS
)

func stmt(code uint16, k uint32) unix.SockFilter { return unix.SockFilter{Code: code, K: k} }

func jump(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
}

// buildFilter returns the seccomp program: for each architecture in
// arches, SECCOMP_RET_TRACE with the index into calls as data for the
// calls listed there, SECCOMP_RET_ALLOW for everything else. It is a
// linear list of comparisons: a few dozen instructions, JIT-compiled by
// the kernel, cheaper than one ptrace stop by orders of magnitude.
func buildFilter() ([]unix.SockFilter, error) {
	prog := []unix.SockFilter{stmt(bpfLdAbs, offArch)}
	for _, arch := range arches {
		skip := len(prog)
		prog = append(prog, jump(bpfJeq, arch, 0, 0)) // Jf patched below
		prog = append(prog, stmt(bpfLdAbs, offNr))
		if arch == unix.AUDIT_ARCH_X86_64 {
			prog = append(prog, jump(bpfJset, x32Bit, 0, 1), stmt(bpfRet, retAllow))
		}
		for i, c := range calls {
			if c.arch != arch {
				continue
			}
			ret := stmt(bpfRet, retTrace|uint32(i))
			if c.emptyPath < 0 {
				prog = append(prog, jump(bpfJeq, c.nr, 0, 1), ret)
				continue
			}
			// if (nr == c.nr) return args[e] & AT_EMPTY_PATH ? ALLOW : TRACE;
			prog = append(prog,
				jump(bpfJeq, c.nr, 0, 4),
				stmt(bpfLdAbs, offArgs+8*uint32(c.emptyPath)),
				jump(bpfJset, atEmpty, 1, 0),
				ret,
				stmt(bpfRet, retAllow))
		}
		prog = append(prog, stmt(bpfRet, retAllow))
		off := len(prog) - skip - 1
		if off > 255 {
			return nil, fmt.Errorf("seccomp filter: jump of %d instructions", off)
		}
		prog[skip].Jf = uint8(off)
	}
	prog = append(prog, stmt(bpfRet, retAllow))
	if len(prog) > maxFilter {
		return nil, fmt.Errorf("seccomp filter: %d instructions", len(prog))
	}
	return prog, nil
}

// installFilter sets no_new_privs, which an unprivileged process needs
// to install a filter, and installs prog on the calling thread.
func installFilter(prog []unix.SockFilter) error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&fprog)))
	if errno != 0 {
		return fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER): %w", errno)
	}
	return nil
}
