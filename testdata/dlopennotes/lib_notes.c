/* libreq's own note: a library it dlopens, with no priority (the spec's
   default, recommended). */
#include "note.h"

DLOPEN_NOTE(note_nested, "[{\"soname\":[\"libnested.so.1\"],\"feature\":\"nested\"}]");

int req(void) { return 1; }
