/* A plugin that plugins.c dlopens. It needs a library of its own,
 * libshout.so.1, found through its RUNPATH ($ORIGIN). */
const char *shout(const char *s);

const char *plugin_hello(void) { return shout("hello from a plugin"); }
