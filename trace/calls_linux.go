//go:build linux && (amd64 || arm64)

package trace

// kind says how to decode the arguments of a traced system call. Every
// architecture's table maps its own system call numbers to these kinds,
// so the tracer never looks at a raw number.
type kind uint8

const (
	kOpen       kind = iota + 1 // open(path, flags, mode)
	kOpenat                     // openat(dirfd, path, flags, mode)
	kOpenat2                    // openat2(dirfd, path, how, size)
	kCreat                      // creat(path, mode)
	kExecve                     // execve(path, argv, envp)
	kExecveat                   // execveat(dirfd, path, argv, envp, flags)
	kStat                       // stat(path, buf)
	kLstat                      // lstat(path, buf)
	kFstatat                    // newfstatat(dirfd, path, buf, flags)
	kStatx                      // statx(dirfd, path, flags, mask, buf)
	kAccess                     // access(path, mode)
	kFaccessat                  // faccessat(dirfd, path, mode[, flags])
	kReadlink                   // readlink(path, buf, size)
	kReadlinkat                 // readlinkat(dirfd, path, buf, size)
	kGetdents                   // getdents64(fd, dirp, count), getdents
	kMkdir                      // mkdir(path, mode)
	kMkdirat                    // mkdirat(dirfd, path, mode)
	kConnect                    // connect(fd, addr, addrlen)
	kChdir                      // chdir(path)
	// The calls that take on or give away user and group IDs, recorded
	// at their entry in Result.IDs (see idCalls).
	kSetuid    // setuid(uid)
	kSetgid    // setgid(gid)
	kSetfsuid  // setfsuid(uid)
	kSetfsgid  // setfsgid(gid)
	kSetreuid  // setreuid(ruid, euid)
	kSetregid  // setregid(rgid, egid)
	kSetresuid // setresuid(ruid, euid, suid)
	kSetresgid // setresgid(rgid, egid, sgid)
	kSetgroups // setgroups(size, list)
	kChown     // chown(path, uid, gid)
	kLchown    // lchown(path, uid, gid)
	kFchown    // fchown(fd, uid, gid)
	kFchownat  // fchownat(dirfd, path, uid, gid, flags)
)

// call is one traced system call of one architecture. Its index in calls
// is the SECCOMP_RET_DATA the filter returns, which the tracer reads back
// from PTRACE_GET_SYSCALL_INFO.
type call struct {
	arch uint32 // AUDIT_ARCH_*
	nr   uint32
	kind kind
	// emptyPath is the index of a flags argument: when it has
	// AT_EMPTY_PATH set the filter lets the call through without a
	// stop, because glibc implements fstat(fd) as newfstatat(fd, "",
	// buf, AT_EMPTY_PATH) and fstat is far too frequent to stop on.
	// -1 for none.
	emptyPath int8
	// modeOff and modeLen locate the file mode in the buffer a stat
	// call fills, so that Access.Dir can be set without another system
	// call; modeLen 0 for none.
	modeOff, modeLen uint8
}

// statxMode is the offset of stx_mode in struct statx (all
// architectures).
const statxMode = 0x1c

// arches lists the AUDIT_ARCH values the filter decodes, the native one
// first. x32 system calls (AUDIT_ARCH_X86_64 with the x32 bit set in the
// number) and any other architecture are allowed without a stop.
var arches = func() []uint32 {
	var as []uint32
	for _, c := range calls {
		if len(as) == 0 || as[len(as)-1] != c.arch {
			as = append(as, c.arch)
		}
	}
	return as
}()

// x32Bit is __X32_SYSCALL_BIT: set in the numbers of x32 system calls,
// which enter with AUDIT_ARCH_X86_64.
const x32Bit = 0x40000000
