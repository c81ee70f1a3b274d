/* forks N FILE: N times, fork and exec cat FILE; posix_spawn (a vfork)
 * head FILE; and fork a child that opens FILE itself and forks a
 * grandchild that does the same. Exits 0 if every child did. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int reap(pid_t pid) {
	int status;
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	return !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}

static int opener(const char *file, int depth) {
	int fd = open(file, O_RDONLY);
	if (fd < 0)
		return 1;
	close(fd);
	if (depth == 0)
		return 0;
	pid_t pid = fork();
	if (pid == 0)
		_exit(opener(file, depth - 1));
	return pid < 0 || reap(pid);
}

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: forks N FILE\n");
		return 2;
	}
	int n = atoi(argv[1]), failed = 0;
	const char *file = argv[2];
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 1);
			execl("/bin/cat", "cat", file, (char *)NULL);
			_exit(127);
		}
		failed |= pid < 0 || reap(pid);

		char *args[] = {"head", "-c", "1", (char *)file, NULL};
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		if (posix_spawn(&pid, "/usr/bin/head", &fa, NULL, args, environ) != 0)
			failed = 1;
		else
			failed |= reap(pid);
		posix_spawn_file_actions_destroy(&fa);
	}
	pid_t pid = fork();
	if (pid == 0)
		_exit(opener(file, 1));
	failed |= pid < 0 || reap(pid);
	return failed;
}
