package image

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Every file read from outside the plan's Root (a base image, an existing
// OCI layout) is opened with O_NONBLOCK and checked with fstat: a FIFO
// named where a file is expected must be an error, not a read that waits
// for a writer forever. Checking the descriptor, not the name, leaves no
// gap for a swap between a stat and the open.

// openRegular opens the regular file name for reading; anything else (a
// FIFO, a device, a socket, a directory) is an error saying what it is.
func openRegular(name string) (*os.File, error) {
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, notRegular(name, st.Mode)
	}
	// Regular files ignore O_NONBLOCK; os.File then treats the descriptor
	// as the blocking file it is.
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// readRegular reads the whole regular file name.
func readRegular(name string) ([]byte, error) {
	f, err := openRegular(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// notRegular is the error for a file of another type than expected.
func notRegular(name string, mode uint32) error {
	return fmt.Errorf("%s is a %s, not a regular file", name, typeName(mode))
}

func typeName(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return "named pipe"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFLNK:
		return "symlink"
	}
	return "file of another type"
}

// checkRegularTree fails if any file under dir, symlinks followed, is not
// a regular file or a directory: go-containerregistry's layout reads
// index.json and the blobs of a layout with plain opens. (Best effort: a
// file swapped in after the walk is not seen.)
func checkRegularTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		if d.Type().IsRegular() || d.IsDir() {
			return nil
		}
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err != nil {
			return &fs.PathError{Op: "stat", Path: p, Err: err}
		}
		if m := st.Mode & unix.S_IFMT; m != unix.S_IFREG && m != unix.S_IFDIR {
			return notRegular(p, st.Mode)
		}
		return nil
	})
}

// checkReplaceable fails if file exists and is neither a regular file nor
// a symlink to one: the output is renamed over it, and a FIFO or a device
// node (/dev/null, as root) must not be replaced by an image.
func checkReplaceable(file string) error {
	var st unix.Stat_t
	if err := unix.Stat(file, &st); err != nil {
		return nil // missing (or unreadable: the rename will say)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("%s exists and is a %s, not a regular file: not replaced", file, typeName(st.Mode))
	}
	return nil
}
