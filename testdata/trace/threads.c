/* threads open FILE...: one thread per FILE opens it 50 times, all at once.
 * threads exec PROG: a thread that is not the leader execs PROG while the
 * other threads are blocked, the case where the process's ID changes
 * hands in the tracer. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *prog;

static void *opener(void *arg) {
	for (int i = 0; i < 50; i++) {
		int fd = open((const char *)arg, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			perror((const char *)arg);
			return (void *)1;
		}
		close(fd);
	}
	return NULL;
}

static void *sleeper(void *arg) {
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void *execer(void *arg) {
	(void)arg;
	usleep(20000);
	execl(prog, prog, (char *)NULL);
	perror(prog);
	_exit(1);
}

int main(int argc, char **argv) {
	pthread_t t[64];
	if (argc >= 3 && strcmp(argv[1], "open") == 0) {
		int n = argc - 2 > 64 ? 64 : argc - 2;
		for (int i = 0; i < n; i++)
			pthread_create(&t[i], NULL, opener, argv[i + 2]);
		int status = 0;
		for (int i = 0; i < n; i++) {
			void *r;
			pthread_join(t[i], &r);
			if (r != NULL)
				status = 1;
		}
		return status;
	}
	if (argc == 3 && strcmp(argv[1], "exec") == 0) {
		prog = argv[2];
		for (int i = 0; i < 4; i++)
			pthread_create(&t[i], NULL, sleeper, NULL);
		pthread_create(&t[4], NULL, execer, NULL);
		for (;;)
			pause();
	}
	fprintf(stderr, "usage: threads open FILE... | threads exec PROG\n");
	return 2;
}
