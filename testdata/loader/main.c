/* A program for the loader tests: its DT_NEEDED, RPATH/RUNPATH, flags and
 * interpreter come from the link command. The tests never run it: the
 * oracle asks the loader to trace it (LD_TRACE_LOADED_OBJECTS, musl's
 * --list), which stops before main. */
int main(void) { return 0; }
