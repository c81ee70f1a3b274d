package trace

import "golang.org/x/sys/unix"

// calls for amd64: native x86-64 system calls, then i386 ones (a 32-bit
// program, or int $0x80 from a 64-bit one), which a tracer that only
// looked at x86-64 numbers would misread or miss.
var calls = []call{
	{unix.AUDIT_ARCH_X86_64, unix.SYS_OPEN, kOpen, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_OPENAT, kOpenat, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_OPENAT2, kOpenat2, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_CREAT, kCreat, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_EXECVE, kExecve, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_EXECVEAT, kExecveat, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_STAT, kStat, -1, 24, 4},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_LSTAT, kLstat, -1, 24, 4},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_NEWFSTATAT, kFstatat, 3, 24, 4},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_STATX, kStatx, 2, statxMode, 2},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_ACCESS, kAccess, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_FACCESSAT, kFaccessat, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_FACCESSAT2, kFaccessat, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_READLINK, kReadlink, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_READLINKAT, kReadlinkat, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_GETDENTS64, kGetdents, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_GETDENTS, kGetdents, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_MKDIR, kMkdir, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_MKDIRAT, kMkdirat, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_CONNECT, kConnect, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_CHDIR, kChdir, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_SETUID, kSetuid, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_SETGID, kSetgid, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_SETFSUID, kSetfsuid, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_SETFSGID, kSetfsgid, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_SETREUID, kSetreuid, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_SETREGID, kSetregid, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_SETRESUID, kSetresuid, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_SETRESGID, kSetresgid, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_SETGROUPS, kSetgroups, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_CHOWN, kChown, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_LCHOWN, kLchown, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_FCHOWN, kFchown, -1, 0, 0},
	{unix.AUDIT_ARCH_X86_64, unix.SYS_FCHOWNAT, kFchownat, -1, 0, 0},

	// i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl).
	{unix.AUDIT_ARCH_I386, 5, kOpen, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 295, kOpenat, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 437, kOpenat2, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 8, kCreat, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 11, kExecve, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 358, kExecveat, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 106, kStat, -1, 8, 2},  // struct stat
	{unix.AUDIT_ARCH_I386, 107, kLstat, -1, 8, 2}, // struct stat
	{unix.AUDIT_ARCH_I386, 195, kStat, -1, 16, 4}, // stat64
	{unix.AUDIT_ARCH_I386, 196, kLstat, -1, 16, 4},
	{unix.AUDIT_ARCH_I386, 300, kFstatat, 3, 16, 4}, // fstatat64
	{unix.AUDIT_ARCH_I386, 383, kStatx, 2, statxMode, 2},
	{unix.AUDIT_ARCH_I386, 33, kAccess, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 307, kFaccessat, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 439, kFaccessat, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 85, kReadlink, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 305, kReadlinkat, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 220, kGetdents, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 141, kGetdents, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 39, kMkdir, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 296, kMkdirat, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 362, kConnect, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 12, kChdir, -1, 0, 0},
	// The 32-bit ID forms only (setuid32…), which every libc of this
	// century calls; the 16-bit ones run without a stop.
	{unix.AUDIT_ARCH_I386, 213, kSetuid, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 214, kSetgid, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 215, kSetfsuid, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 216, kSetfsgid, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 203, kSetreuid, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 204, kSetregid, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 208, kSetresuid, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 210, kSetresgid, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 206, kSetgroups, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 212, kChown, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 198, kLchown, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 207, kFchown, -1, 0, 0},
	{unix.AUDIT_ARCH_I386, 298, kFchownat, -1, 0, 0},
}
