// Package oracle asks the real dynamic loader which files it would load for
// an ELF file, for tests that check elfscan's emulation against it.
//
// It runs the loader in its tracing mode, which maps the libraries and
// prints them without running the program: glibc's LD_TRACE_LOADED_OBJECTS
// (what ldd uses) and musl's --list. It only ever runs a loader it has
// recognised, from the file's PT_INTERP or the default one for a library:
// a file whose interpreter is anything else is refused, since starting it
// would run arbitrary code. Which loaders those are, how they run and how
// their output reads is internal/hostld's, which elfscan's
// ResolveWithHostLoader uses too: the oracle adds what only tests need (a
// chroot into a sysroot, another user's credentials, starting a program
// itself with tracing on).
package oracle
