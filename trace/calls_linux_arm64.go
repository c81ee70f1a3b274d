package trace

import "golang.org/x/sys/unix"

// calls for arm64, which has only the *at forms. 32-bit ARM programs
// (AUDIT_ARCH_ARM) are not decoded: their calls run without a stop.
var calls = []call{
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_OPENAT, kOpenat, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_OPENAT2, kOpenat2, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_EXECVE, kExecve, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_EXECVEAT, kExecveat, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_NEWFSTATAT, kFstatat, 3, 16, 4},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_STATX, kStatx, 2, statxMode, 2},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_FACCESSAT, kFaccessat, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_FACCESSAT2, kFaccessat, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_READLINKAT, kReadlinkat, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_GETDENTS64, kGetdents, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_MKDIRAT, kMkdirat, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_CONNECT, kConnect, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_CHDIR, kChdir, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_SETUID, kSetuid, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_SETGID, kSetgid, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_SETFSUID, kSetfsuid, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_SETFSGID, kSetfsgid, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_SETREUID, kSetreuid, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_SETREGID, kSetregid, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_SETRESUID, kSetresuid, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_SETRESGID, kSetresgid, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_SETGROUPS, kSetgroups, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_FCHOWN, kFchown, -1, 0, 0},
	{unix.AUDIT_ARCH_AARCH64, unix.SYS_FCHOWNAT, kFchownat, -1, 0, 0},
}
