package elfscan

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// maxLinks is how many symlinks one lookup may follow, as Linux's MAXSYMLINKS.
const maxLinks = 40

// ErrLoop is returned (wrapped) when a lookup follows too many symlinks.
var ErrLoop = errors.New("too many levels of symbolic links")

// A Root is a directory tree seen as "/": the host itself, a builder stage's
// filesystem or a sysroot. Paths given to and returned by a Root are
// absolute paths inside it. Symlinks are followed the way the kernel would
// follow them after chroot(Dir): an absolute target starts again at the
// root and ".." never climbs above it, so no lookup can leave the tree.
type Root struct {
	dir string // absolute, clean host path
}

// NewRoot returns the Root for the host directory dir.
func NewRoot(dir string) (*Root, error) {
	if dir == "" {
		dir = "/"
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("root %s: %w", dir, err)
	}
	// The root directory itself may be reached through symlinks: those are
	// the user's choice and outside the tree, so they are resolved here once.
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("root %s: %w", dir, unwrapPathError(err))
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("root %s: not a directory", dir)
	}
	return &Root{dir: abs}, nil
}

// HostRoot is the Root of the host's own filesystem.
func HostRoot() *Root { return &Root{dir: "/"} }

// Dir is the host directory of the root.
func (r *Root) Dir() string { return r.dir }

// IsHost reports whether the root is the host's "/".
func (r *Root) IsHost() bool { return r.dir == "/" }

// HostPath is the host path of p, a path inside the root, without resolving
// any symlink. Only use it on paths returned by Resolve or for error text.
func (r *Root) HostPath(p string) string {
	return filepath.Join(r.dir, Clean(p))
}

// Clean returns p as a clean absolute path: "a/../b" is "/b" and ".." above
// "/" stays at "/", as it does at the root of a chroot.
func Clean(p string) string {
	return path.Clean("/" + p)
}

// A Link is one symlink met on the way to a file.
type Link struct {
	Path   string `json:"path"`   // where the link is, inside the root
	Target string `json:"target"` // its content, as written
}

// Resolve follows every symlink in p and returns the real path inside the
// root, with the links met on the way in the order they were followed.
func (r *Root) Resolve(p string) (string, []Link, error) {
	var links []Link
	real, err := r.walk("/"+p, &links, true)
	if err != nil {
		return "", links, &fs.PathError{Op: "resolve", Path: p, Err: err}
	}
	return real, links, nil
}

// ResolveParent follows the symlinks in the directory part of p, but not a
// final symlink: the result names p itself (which may be a symlink).
func (r *Root) ResolveParent(p string) (string, []Link, error) {
	var links []Link
	real, err := r.walk("/"+p, &links, false)
	if err != nil {
		return "", links, &fs.PathError{Op: "resolve", Path: p, Err: err}
	}
	return real, links, nil
}

// walk resolves the clean absolute path p. followLast says whether a symlink
// in the last component is followed. Every link followed is appended to
// links, whose length also bounds the walk (ELOOP past maxLinks).
func (r *Root) walk(p string, links *[]Link, followLast bool) (string, error) {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	cur := "/"
	for i, name := range parts {
		switch name {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, name)
		last := i == len(parts)-1
		st, err := os.Lstat(r.HostPath(next))
		if err != nil {
			return "", unwrapPathError(err)
		}
		if st.Mode()&fs.ModeSymlink == 0 || (last && !followLast) {
			if !last && !st.IsDir() {
				return "", unix.ENOTDIR
			}
			cur = next
			continue
		}
		if len(*links) >= maxLinks {
			return "", ErrLoop
		}
		target, err := os.Readlink(r.HostPath(next))
		if err != nil {
			return "", unwrapPathError(err)
		}
		*links = append(*links, Link{Path: next, Target: target})
		// Joined without lexical cleaning: "dir/.." must go up from where
		// dir really leads, as the kernel does.
		base := target
		if !strings.HasPrefix(target, "/") {
			base = cur + "/" + target
		}
		// The target is walked by the same code, so ".." in it stops at
		// the root and an absolute target starts again at the root.
		resolved, err := r.walk(base, links, true)
		if err != nil {
			return "", err
		}
		rest := strings.Join(parts[i+1:], "/")
		if rest == "" {
			return resolved, nil
		}
		return r.walk(resolved+"/"+rest, links, followLast)
	}
	return cur, nil
}

// Lstat describes p without following a final symlink.
func (r *Root) Lstat(p string) (fs.FileInfo, error) {
	real, _, err := r.ResolveParent(p)
	if err != nil {
		return nil, err
	}
	return os.Lstat(r.HostPath(real))
}

// Stat describes the file p names, following symlinks inside the root.
func (r *Root) Stat(p string) (fs.FileInfo, error) {
	real, _, err := r.Resolve(p)
	if err != nil {
		return nil, err
	}
	return os.Lstat(r.HostPath(real))
}

// Readlink returns the content of the symlink p.
func (r *Root) Readlink(p string) (string, error) {
	real, _, err := r.ResolveParent(p)
	if err != nil {
		return "", err
	}
	return os.Readlink(r.HostPath(real))
}

// ReadDir lists the directory p.
func (r *Root) ReadDir(p string) ([]fs.DirEntry, error) {
	real, _, err := r.Resolve(p)
	if err != nil {
		return nil, err
	}
	return os.ReadDir(r.HostPath(real))
}

// Open opens the regular file p for reading. The kernel re-checks that the
// open stays inside the root (openat2 RESOLVE_IN_ROOT), so a symlink swapped
// in after Resolve cannot lead outside it.
func (r *Root) Open(p string) (*os.File, error) {
	real, _, err := r.Resolve(p)
	if err != nil {
		return nil, err
	}
	f, err := r.openInRoot(real)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: p, Err: unwrapPathError(err)}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: p, Err: unwrapPathError(err)}
	}
	if !st.Mode().IsRegular() {
		f.Close()
		if st.IsDir() {
			return nil, &fs.PathError{Op: "open", Path: p, Err: unix.EISDIR}
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: errors.New("not a regular file")}
	}
	return f, nil
}

// ReadFile reads the whole regular file p, refusing files over limit bytes.
func (r *Root) ReadFile(p string, limit int64) ([]byte, error) {
	f, err := r.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, &fs.PathError{Op: "read", Path: p, Err: fmt.Errorf("file is %d bytes, over the limit of %d", st.Size(), limit)}
	}
	buf := make([]byte, st.Size())
	n, err := f.ReadAt(buf, 0)
	if err != nil && n != len(buf) {
		return nil, &fs.PathError{Op: "read", Path: p, Err: err}
	}
	return buf, nil
}

func (r *Root) openInRoot(real string) (*os.File, error) {
	if r.IsHost() {
		return os.Open(real)
	}
	dirfd, err := unix.Open(r.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dirfd)
	how := &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOCTTY | unix.O_NONBLOCK,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	rel := strings.TrimPrefix(real, "/")
	if rel == "" {
		rel = "." // the root itself: openat2 refuses an empty path
	}
	fd, err := unix.Openat2(dirfd, rel, how)
	if errors.Is(err, unix.ENOSYS) {
		// Kernels before 5.6: the path was resolved inside the root above.
		return os.Open(r.HostPath(real))
	}
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), r.HostPath(real)), nil
}

// unwrapPathError drops the host path from an *fs.PathError so that error
// text names paths inside the root, not the host's.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
