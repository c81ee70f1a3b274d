package imageroot

import (
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// inRoot is how every directory of the staging is opened: symlinks on the
// way are followed as after chroot, so that "/" and ".." stay inside it.
const inRoot = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

// openDir opens the directory dir (an absolute path inside the root) as an
// O_PATH descriptor, resolving it inside the root. With create, missing
// directories are made (mode 0755), as tar does for a layer that names a
// file before its directory.
func (a *applier) openDir(dir string, create bool) (int, error) {
	rel := strings.Trim(path.Clean(dir), "/")
	if rel == "" {
		rel = "."
	}
	fd, err := a.open(rel)
	if err != unix.ENOENT || !create {
		return fd, err
	}
	// Make each missing component, each time resolving its parent inside
	// the root again.
	parts := strings.Split(rel, "/")
	for i := range parts {
		sub := strings.Join(parts[:i+1], "/")
		fd, err := a.open(sub)
		if err == nil {
			unix.Close(fd)
			continue
		}
		if err != unix.ENOENT {
			return -1, err
		}
		parent := "."
		if i > 0 {
			parent = strings.Join(parts[:i], "/")
		}
		pfd, err := a.open(parent)
		if err != nil {
			return -1, err
		}
		err = unix.Mkdirat(pfd, parts[i], 0o755)
		unix.Close(pfd)
		if err != nil && err != unix.EEXIST {
			return -1, err
		}
	}
	return a.open(rel)
}

func (a *applier) open(rel string) (int, error) {
	for {
		fd, err := unix.Openat2(a.rootfd, rel, &unix.OpenHow{
			Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
			Resolve: inRoot,
		})
		if err == unix.EAGAIN || err == unix.EINTR {
			continue
		}
		return fd, err
	}
}

// removeAt removes name from dirfd, a directory tree included, never
// following a symlink. A name that does not exist is no error.
func removeAt(dirfd int, name string) error {
	err := unix.Unlinkat(dirfd, name, 0)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if err != unix.EISDIR && err != unix.EPERM {
		return err
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	names, err := readNames(fd)
	if err == nil {
		for _, n := range names {
			if err = removeAt(fd, n); err != nil {
				break
			}
		}
	}
	unix.Close(fd)
	if err != nil {
		return err
	}
	return unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
}

// readNames lists the directory open as fd (which stays open).
func readNames(fd int) ([]string, error) {
	dup, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), ".")
	defer f.Close()
	return f.Readdirnames(-1)
}
