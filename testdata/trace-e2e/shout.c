/* libshout.so.1: the plugin's own library, with a SONAME link. */
#include <ctype.h>
#include <string.h>

const char *shout(const char *s) {
	static char buf[256];
	size_t i;
	for (i = 0; s[i] != '\0' && i < sizeof buf - 1; i++)
		buf[i] = (char)toupper((unsigned char)s[i]);
	buf[i] = '\0';
	return buf;
}
