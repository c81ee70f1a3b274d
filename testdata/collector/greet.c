/* libgreet: a small shared library with a SONAME and a version in its
 * file name, as distributions install them. */
#include <stdio.h>

void greet(const char *who)
{
	printf("hello, %s\n", who);
}
