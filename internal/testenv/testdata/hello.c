/* hello prints its arguments, environment and standard input, checks what a
 * container runtime provides (/dev/null, /proc, PID 1), writes a file named
 * by $WRITE if set, and exits with status 3. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++)
		printf("arg %s\n", argv[i]);
	for (char **e = environ; *e; e++)
		printf("env %s\n", *e);
	char buf[256];
	size_t n = fread(buf, 1, sizeof buf - 1, stdin);
	buf[n] = 0;
	printf("stdin %s\n", buf);
	FILE *null = fopen("/dev/null", "w");
	printf("devnull %s\n", null && fputs("x", null) >= 0 ? "ok" : "missing");
	printf("proc %s\n", access("/proc/self/exe", F_OK) == 0 ? "ok" : "missing");
	printf("pid %d\n", (int)getpid());
	const char *path = getenv("WRITE");
	if (path) {
		FILE *w = fopen(path, "w");
		printf("write %s\n", w && fputs("x", w) >= 0 && fclose(w) == 0 ? "ok" : "failed");
	}
	fprintf(stderr, "to stderr\n");
	return 3;
}
