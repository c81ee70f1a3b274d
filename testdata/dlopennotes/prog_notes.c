/* The notes of the test program: one per priority; the recommended one
   lists two alternatives, the first of which no root has. */
#include "note.h"

DLOPEN_NOTE(note_required,
	"[{\"soname\":[\"libreq.so.1\"],\"feature\":\"req\",\"description\":\"needed to start\",\"priority\":\"required\"}]");
DLOPEN_NOTE(note_recommended,
	"[{\"soname\":[\"libabsent.so.9\",\"librec.so.1\"],\"feature\":\"rec\",\"description\":\"the rec feature\",\"priority\":\"recommended\"},"
	"{\"soname\":[\"libsug.so.1\"],\"feature\":\"sug\",\"priority\":\"suggested\"}]");
