// Package ldcache reads the files that decide where a Linux dynamic loader
// looks for libraries, without running anything: glibc's /etc/ld.so.cache
// and the /etc/ld.so.conf it is built from, and musl's
// /etc/ld-musl-$ARCH.path.
//
// # ld.so.cache
//
// Parse reads a cache in any of the three layouts ldconfig writes (new,
// old, and old with the new one inside: see Format), in either byte order,
// so the cache of a foreign-architecture sysroot reads the same as the
// host's. Every offset is checked against the file and nothing is
// allocated beyond a small multiple of the file's size: a corrupt or
// hostile file gives a *FormatError, never a panic.
//
// Cache.Lookup then answers as glibc's loader does (elf/dl-cache.c): the
// same binary search with the same name comparison, the same choice among
// the entries of one name by ABI flags and glibc-hwcaps subdirectory. The
// ABI comes from ABIFor, given the ELF machine, class and flags of the
// program being loaded, so that an aarch64 program is never given an
// x86-64 library.
//
// Entry.String renders an entry exactly as "ldconfig -p" prints it; the
// tests hold the parser to that, entry for entry, against the host's cache
// and caches the real ldconfig writes.
//
// # ld.so.conf
//
// ParseConf lists the directories of ld.so.conf as ldconfig reads them:
// one directory a line, "include" lines with glob patterns (sorted, as
// glob(3) does), "hwcap" lines and comments ignored.
//
// # musl
//
// musl has no cache: its loader reads /etc/ld-musl-$ARCH.path (see
// ParseMuslPath, MuslArch and MuslPathFile) or uses MuslDefaultPath.
//
// All file access goes through an FS of the caller, so that the files are
// read inside the filesystem being examined, never the host's by accident.
//
// This package does not import elfscan: elfscan imports it.
package ldcache
