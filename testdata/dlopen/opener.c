/* dlopen each argument, as the program itself, then print every object
   the process has loaded (the oracle for elfscan's ResolveDlopen). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>

static int show(struct dl_phdr_info *info, size_t size, void *data) {
	(void)size;
	(void)data;
	if (info->dlpi_name[0] == '/')
		printf("loaded %s\n", info->dlpi_name);
	return 0;
}

int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++)
		if (!dlopen(argv[i], RTLD_NOW))
			printf("missing %s\n", argv[i]);
	dl_iterate_phdr(show, NULL);
	return 0;
}
