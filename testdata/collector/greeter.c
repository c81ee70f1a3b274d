/* A program that needs libgreet.so.1 and prints its own path as the
 * kernel reports it, so that tests see that /proc/self/exe keeps
 * working in a collected rootfs. */
#include <stdio.h>
#include <unistd.h>

void greet(const char *who);

int main(int argc, char **argv)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	if (n < 0)
		return 1;
	self[n] = 0;
	greet(argc > 1 ? argv[1] : "world");
	printf("self: %s\n", self);
	return 0;
}
