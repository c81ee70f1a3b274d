//go:build linux && (amd64 || arm64)

package trace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// pathMax is PATH_MAX: the kernel refuses longer paths, so a string that
// long without a NUL is not a path the call could have used.
const pathMax = 4096

var (
	pageSize = uint64(os.Getpagesize())
	// noVMReadv is set once process_vm_readv has failed with ENOSYS (a
	// kernel without CONFIG_CROSS_MEMORY_ATTACH, or a seccomp profile
	// that forbids it); from then on memory is read through
	// /proc/PID/mem. EPERM (say, a process that made itself
	// non-dumpable) sends only that read there.
	noVMReadv atomic.Bool
)

// readMem reads len(buf) bytes at addr in the address space of tid. It
// may return fewer bytes when the range runs into unmapped memory; the
// range is split at page boundaries so that what is mapped is read.
func readMem(tid int, addr uint64, buf []byte) (int, error) {
	if len(buf) == 0 {
		return 0, nil
	}
	if !noVMReadv.Load() {
		var remote [pathMax/4096 + 2]unix.RemoteIovec
		iov := remote[:0]
		for a, end := addr, addr+uint64(len(buf)); a < end && len(iov) < len(remote); {
			next := min((a/pageSize+1)*pageSize, end)
			iov = append(iov, unix.RemoteIovec{Base: uintptr(a), Len: int(next - a)})
			a = next
		}
		local := []unix.Iovec{{Base: &buf[0]}}
		local[0].SetLen(len(buf))
		n, err := unix.ProcessVMReadv(tid, local, iov, 0)
		switch err {
		case unix.ENOSYS:
			noVMReadv.Store(true)
		case unix.EPERM:
		default:
			return n, err
		}
	}
	return readProcMem(tid, addr, buf)
}

// readProcMem is the fallback: pread on /proc/TID/mem, one page at a time
// so that a string at the end of a mapping is still read.
func readProcMem(tid int, addr uint64, buf []byte) (int, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(tid) + "/mem")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	for n < len(buf) {
		a := addr + uint64(n)
		chunk := min(uint64(len(buf)-n), (a/pageSize+1)*pageSize-a)
		m, err := unix.Pread(int(f.Fd()), buf[n:n+int(chunk)], int64(a))
		n += max(m, 0)
		if err != nil || m < int(chunk) {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
	}
	return n, nil
}

var errNoNUL = errors.New("string without NUL within PATH_MAX")

// readString reads the NUL-terminated string at addr in tid. It reads a
// short chunk first, as most paths are short, then the rest up to
// PATH_MAX.
func readString(tid int, addr uint64, buf *[pathMax]byte) (string, error) {
	if addr == 0 {
		return "", unix.EFAULT
	}
	n, err := readMem(tid, addr, buf[:256])
	if i := bytes.IndexByte(buf[:n], 0); i >= 0 {
		return string(buf[:i]), nil
	}
	if err != nil {
		return "", err
	}
	if n < 256 {
		return "", unix.EFAULT
	}
	m, err := readMem(tid, addr+256, buf[256:])
	if i := bytes.IndexByte(buf[:n+m], 0); i >= 0 {
		return string(buf[:i]), nil
	}
	if err != nil {
		return "", err
	}
	return "", errNoNUL
}

// readUint reads a little-endian unsigned integer of size 2, 4 or 8 at
// addr in tid.
func readUint(tid int, addr uint64, size int) (uint64, error) {
	var b [8]byte
	n, err := readMem(tid, addr, b[:size])
	if err != nil {
		return 0, err
	}
	if n < size {
		return 0, unix.EFAULT
	}
	// Every architecture in calls is little-endian.
	return binary.LittleEndian.Uint64(b[:]), nil
}
