// Package elfscan reads ELF files and emulates the dynamic loader, without
// ever executing the files it reads.
//
// The flow is Open (one ELF file → *File), then a Resolver (roots → *Graph):
// the Graph names every object the loader would map for each root, in load
// order, with the reason it was loaded (who needed it, which search step
// found it, the symlinks on the way) and every name that could not be found.
//
// All file access goes through a Root, a view of a directory tree in which
// absolute symlinks resolve inside the tree and nothing can lead outside it.
// This is what lets the same code scan the host ("/"), a builder stage's
// filesystem, or a sysroot of a foreign architecture.
//
// The loader rules follow glibc's elf/dl-load.c and musl's ldso/dynlink.c:
// breadth-first loading with reuse of already-loaded names, DT_RPATH
// inheritance along the loader chain, DT_RUNPATH for the requester only,
// /etc/ld.so.cache (parsed natively), ld.so.conf, glibc-hwcaps
// subdirectories, $ORIGIN/$LIB/$PLATFORM, DF_1_NODEFLIB and candidates of the
// wrong class or machine skipped.
//
// Every error the package returns starts with "elfscan: " and names the
// file, as archive/tar's start with "archive/tar: "; they still match
// errors.Is (ErrNotELF, fs.ErrNotExist…) and errors.As (*FormatError,
// *fs.PathError) through it. Walk, a building block for other trees, is
// the exception: it returns its lookup's errors as they are.
package elfscan
