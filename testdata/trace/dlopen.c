/* dlopen PLUGIN: loads a shared object by path, as programs load plugins,
 * which no ELF reading of the program can find. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: dlopen PLUGIN\n");
		return 2;
	}
	void *h = dlopen(argv[1], RTLD_NOW);
	if (h == NULL) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	int (*answer)(void) = (int (*)(void))dlsym(h, "plugin_answer");
	if (answer == NULL || answer() != 42) {
		fprintf(stderr, "plugin_answer: %s\n", dlerror());
		return 1;
	}
	printf("%d\n", answer());
	return 0;
}
