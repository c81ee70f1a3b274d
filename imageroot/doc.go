// Package imageroot makes a container image's filesystem a Root: the
// layers of a go-containerregistry v1.Image are applied in order into a
// private staging directory, with whiteouts and opaque directories, hard
// links, symlinks, modes and owners, as a container runtime would unpack
// them, so that the resolver scans it exactly as a builder stage's
// filesystem given with --root, and a program can later run chrooted in it.
//
// Every write goes through a descriptor of the staging directory with
// openat2(RESOLVE_IN_ROOT), and the last component of a name is never
// followed: no entry of a layer ("../" names, absolute names, symlinks out,
// chained symlinks, hard links to outside paths) can write or point
// outside the staging. Devices, FIFOs and sockets are skipped with a note.
// Each layer's content is checked against the config's diff ID, and the
// config against the manifest's digest.
package imageroot
