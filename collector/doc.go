// Package collector turns a resolved elfscan.Graph, plus what the loader does
// not show (NSS modules, gconv modules, libgcc_s, CA certificates, users,
// /tmp, time zones, files named by the user and files seen by a traced run),
// into a Plan: the sorted, deterministic list of every entry of the final
// root filesystem, each with the reason it is there.
//
// Everything that writes reads only the Plan: WriteDir makes a directory
// tree, and the image package makes a layer and an image from the same Plan,
// so the rootfs and the image can never disagree.
package collector
