// hostile misbehaves under the check, as argv[1] says:
//   daemon NAME     forks, the child starts a session and forks again, the
//                   grandchild (named NAME) ignores SIGTERM and sleeps;
//                   the program itself exits 0 at once
//   forkaway NAME   starts 20 children named NAME that sleep, exits 0
//   loop            ignores SIGTERM and spins
//   write MARKER    writes to its own file, /etc/hosts, creates /escaped
//                   and tries to leave the chroot to create MARKER
//   privileged      tries to mount a file system and to make a block
//                   device; exits 1 if either worked
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <unistd.h>

static void sleeper(const char *name) {
	prctl(PR_SET_NAME, name);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	for (;;)
		pause();
}

static void scribble(const char *path) {
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd >= 0) {
		write(fd, "pwned\n", 6);
		close(fd);
	}
}

int main(int argc, char **argv) {
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "daemon")) {
		if (fork() == 0) {
			setsid();
			if (fork() == 0)
				sleeper(argv[2]);
			_exit(0);
		}
		return 0;
	}
	if (!strcmp(argv[1], "forkaway")) {
		for (int i = 0; i < 20; i++)
			if (fork() == 0)
				sleeper(argv[2]);
		return 0;
	}
	if (!strcmp(argv[1], "loop")) {
		signal(SIGTERM, SIG_IGN);
		for (volatile unsigned long i = 0;; i++)
			;
	}
	if (!strcmp(argv[1], "write")) {
		scribble(argv[0]);
		scribble("/etc/hosts");
		scribble("/escaped");
		// The classic chroot escape: chroot into a subdirectory, climb
		// out of it with "..", chroot there.
		mkdir("/e", 0755);
		if (chroot("/e") == 0) {
			for (int i = 0; i < 64; i++)
				chdir("..");
			chroot(".");
		}
		scribble(argv[2]);
		return 0;
	}
	if (!strcmp(argv[1], "privileged")) {
		mkdir("/mnt", 0755);
		int mounted = mount("tmpfs", "/mnt", "tmpfs", 0, "") == 0;
		int made = mknod("/disk", S_IFBLK | 0600, makedev(8, 0)) == 0;
		return mounted || made;
	}
	return 2;
}
