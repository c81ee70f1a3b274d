/* greet: a program linked against libgreet.so.1, installed in
   /usr/local/lib and found through ld.so.cache. */
#include <stdio.h>

const char *greet_user(void);

int main(int argc, char **argv) {
	printf("hello, %s", greet_user());
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	return 0;
}
