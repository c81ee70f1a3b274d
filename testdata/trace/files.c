/* files MODE ARGS: one way of naming a file per mode, for the tracer's
 * tests.
 *   openat DIR NAME  open DIR, then NAME relative to it
 *   write PATH       create PATH, write it, then read it back
 *   signal PATH      handle a SIGUSR1 sent to itself, then open PATH
 *   stop PATH        fork a child that stops itself (SIGSTOP) and, once
 *                    the parent sent SIGCONT, opens PATH
 *   lookup PATH LINK stat, statx and access PATH, lstat and readlink LINK
 *   openat2 DIR NAME open NAME with openat2 and RESOLVE_IN_ROOT: an
 *                    absolute NAME is then relative to DIR
 *   tmpfile DIR      open an unnamed file in DIR (O_TMPFILE)
 *   creat PATH       create PATH with creat
 *   fexecve PROG     open PROG and execute the descriptor (execveat with
 *                    AT_EMPTY_PATH)
 *   int80 PATH       open PATH with the i386 system call (int $0x80);
 *                    exits 3 if the kernel has no i386 emulation */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void handler(int sig) { got = sig; }

static int openat_mode(const char *dir, const char *name) {
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return 1;
	int fd = openat(dfd, name, O_RDONLY);
	return fd < 0;
}

static int write_mode(const char *path) {
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "x\n", 2) != 2 || close(fd) != 0)
		return 1;
	char b[2];
	fd = open(path, O_RDONLY);
	return fd < 0 || read(fd, b, 2) != 2;
}

static int signal_mode(const char *path) {
	signal(SIGUSR1, handler);
	raise(SIGUSR1);
	if (got != SIGUSR1)
		return 1;
	return open(path, O_RDONLY) < 0;
}

static int stop_mode(const char *path) {
	pid_t pid = fork();
	if (pid == 0) {
		raise(SIGSTOP);
		_exit(open(path, O_RDONLY) < 0);
	}
	int status;
	if (waitpid(pid, &status, WUNTRACED) < 0 || !WIFSTOPPED(status))
		return 1;
	kill(pid, SIGCONT);
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	return !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}

static int lookup_mode(const char *path, const char *link) {
	struct stat st;
	char buf[256];
	struct statx stx;
	if (stat(path, &st) != 0 || access(path, R_OK) != 0)
		return 1;
	if (statx(AT_FDCWD, path, 0, STATX_TYPE, &stx) != 0 || !S_ISDIR(stx.stx_mode))
		return 1;
	if (lstat(link, &st) != 0 || readlink(link, buf, sizeof buf) < 0)
		return 1;
	return 0;
}

static int openat2_mode(const char *dir, const char *name) {
	int dfd = open(dir, O_PATH | O_DIRECTORY);
	struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_IN_ROOT};
	return dfd < 0 || syscall(SYS_openat2, dfd, name, &how, sizeof how) < 0;
}

static int tmpfile_mode(const char *dir) {
	int fd = open(dir, O_TMPFILE | O_RDWR, 0600);
	return fd < 0 || write(fd, "x", 1) != 1;
}

static int creat_mode(const char *path) {
	int fd = creat(path, 0644);
	return fd < 0 || write(fd, "x", 1) != 1;
}

static int fexecve_mode(const char *prog) {
	int fd = open(prog, O_RDONLY);
	char *argv[] = {(char *)prog, NULL}, *envp[] = {NULL};
	if (fd < 0)
		return 1;
	fexecve(fd, argv, envp);
	perror("fexecve");
	return 1;
}

static int int80_mode(const char *path) {
#if defined(__x86_64__)
	/* The i386 ABI has 32-bit pointers: the path must be below 4 GiB. */
	char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED)
		return 1;
	strncpy(low, path, 4095);
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(5 /* i386 open */), "b"(low), "c"(0) : "memory");
	if (ret == -38 /* ENOSYS */)
		return 3;
	return ret < 0;
#else
	(void)path;
	return 3;
#endif
}

int main(int argc, char **argv) {
	if (argc == 4 && strcmp(argv[1], "openat") == 0)
		return openat_mode(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "write") == 0)
		return write_mode(argv[2]);
	if (argc == 3 && strcmp(argv[1], "signal") == 0)
		return signal_mode(argv[2]);
	if (argc == 3 && strcmp(argv[1], "stop") == 0)
		return stop_mode(argv[2]);
	if (argc == 4 && strcmp(argv[1], "lookup") == 0)
		return lookup_mode(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "openat2") == 0)
		return openat2_mode(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "tmpfile") == 0)
		return tmpfile_mode(argv[2]);
	if (argc == 3 && strcmp(argv[1], "creat") == 0)
		return creat_mode(argv[2]);
	if (argc == 3 && strcmp(argv[1], "fexecve") == 0)
		return fexecve_mode(argv[2]);
	if (argc == 3 && strcmp(argv[1], "int80") == 0)
		return int80_mode(argv[2]);
	fprintf(stderr, "usage: files MODE ARGS\n");
	return 2;
}
