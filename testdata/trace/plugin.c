/* A plugin that dlopen.c loads by path. */
int plugin_answer(void) { return 42; }
