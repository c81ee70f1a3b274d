/* plugins NAME...: dlopens each plugin by name, as programs load plugins
 * from their own library directory (found through the program's RUNPATH,
 * $ORIGIN/../lib), and prints what its plugin_hello returns. No reading
 * of the program's ELF headers finds the plugins; only a traced run does. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
	if (argc < 2) {
		fprintf(stderr, "usage: plugins NAME...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		void *h = dlopen(argv[i], RTLD_NOW);
		if (h == NULL) {
			fprintf(stderr, "plugins: %s\n", dlerror());
			return 1;
		}
		const char *(*hello)(void) = (const char *(*)(void))dlsym(h, "plugin_hello");
		if (hello == NULL) {
			fprintf(stderr, "plugins: %s: %s\n", argv[i], dlerror());
			return 1;
		}
		printf("%s: %s\n", argv[i], hello());
	}
	return 0;
}
