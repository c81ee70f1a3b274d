/* A shared library for the loader tests. Which libraries it needs, its
 * SONAME, RPATH/RUNPATH and flags come from the link command: the tests
 * link with -Wl,--no-as-needed so that every -l becomes a DT_NEEDED entry
 * whether or not a symbol of it is used. -DFN=name gives each library its
 * own symbol. */
#ifndef FN
#define FN testlib_fn
#endif

int FN(void) { return 42; }
