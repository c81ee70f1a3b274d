package main

import (
	"path/filepath"
	"testing"
)

// --add SRC:/ and an --add that would change a planned path's type are
// refused by rootfs and image alike: one line, exit 2, nothing written.
func TestAddAtRootRefused(t *testing.T) {
	out := t.TempDir()
	for _, add := range []string{"/usr/bin/env:/", "/usr/bin:/", "/usr/bin/env:/usr/lib"} {
		for _, args := range [][]string{
			{"rootfs", "-o", filepath.Join(out, "r")},
			{"image", "--tarball", filepath.Join(out, "i.tar"), "--oci-layout", filepath.Join(out, "oci")},
		} {
			_, stderr, code := fromscratch(t, append(args, "--add", add, "/usr/bin/true")...)
			oneLineError(t, stderr, code, add[:len("/usr/bin")])
			emptyDir(t, out)
		}
	}
}
