// Command fromscratch turns a dynamically linked Linux program into a minimal
// FROM scratch container image: it reads the program's ELF files, resolves
// the libraries exactly as the dynamic loader would (without running
// anything), adds what the loader does not show, and writes a root
// filesystem or an OCI image.
//
//	fromscratch deps   [flags] FILE...         what the loader would load, and why
//	fromscratch rootfs -o DIR [flags] FILE...  a root filesystem in which FILE runs
//	fromscratch image  [flags] FILE...         an OCI image: layout, docker tarball or registry
//
// The logic lives in the elfscan and collector packages; this command only
// parses flags, calls them and prints.
package main
