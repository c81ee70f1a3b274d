int dep(void) { return 42; }
