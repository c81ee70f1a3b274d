/* A .note.dlopen note as the UAPI group's "ELF dlopen metadata" spec lays
   it out: an ELF note (namesz, descsz, type, the owner "FDO" and the
   descriptor, each 4-byte aligned) of type 0x407c0c0a in an allocated
   section .note.dlopen, whose descriptor is a NUL-terminated JSON array. */
#include <stdint.h>

#define DLOPEN_NOTE(var, json)                                         \
	__attribute__((used, section(".note.dlopen"), aligned(4)))     \
	static const struct {                                          \
		uint32_t n_namesz, n_descsz, n_type;                   \
		char name[4];                                          \
		char desc[sizeof(json)];                               \
	} var = {sizeof("FDO"), sizeof(json), 0x407c0c0a, "FDO", json}
