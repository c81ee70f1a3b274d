package elfscan

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

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
//
// A Root remembers what it has seen of the tree (each path's type and
// symlink target), so that the many lookups of one run through the same
// directories cost one system call per path: it assumes that what exists
// in the tree does not change while it is used, as a build's input does
// not (files may be added). Opens are still
// checked by the kernel (openat2 RESOLVE_IN_ROOT) to stay inside the root.
type Root struct {
	dir string // absolute, clean host path

	mu    sync.Mutex
	nodes map[string]pathNode // real path inside the root → what lstat found
	walks map[walkKey]walked  // successful walks, as Walk gave them

	inputs *InputLog // where what is read of the host is recorded, if anywhere
}

// walkKey is one walk: a path and whether its last symlink is followed.
type walkKey struct {
	path       string
	followLast bool
}

// walked is where a walk led and the links it followed.
type walked struct {
	real  string
	links []Link
}

// pathNode is what lstat (and readlink, for a symlink) said of one real path.
type pathNode struct {
	mode     fs.FileMode
	target   string // for a symlink
	err      error
	dev, ino uint64 // which file it is, as the loaders compare files
}

// NewRoot returns the Root for the host directory dir.
func NewRoot(dir string, opts ...RootOption) (*Root, error) {
	if dir == "" {
		dir = "/"
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("elfscan: root %s: %w", dir, err)
	}
	// The root directory itself may be reached through symlinks: those are
	// the user's choice and outside the tree, so they are resolved here once.
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("elfscan: root %s: %w", dir, unwrapPathError(err))
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("elfscan: root %s: not a directory", dir)
	}
	r := &Root{dir: abs}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

// HostRoot returns a Root of the host's own filesystem.
func HostRoot() *Root { return &Root{dir: "/"} }

// lookupNode returns what lstat and readlink say of p, a path inside the root
// with no symlink before its last component, asking the kernel once.
func (r *Root) lookupNode(p string) pathNode {
	r.mu.Lock()
	n, ok := r.nodes[p]
	r.mu.Unlock()
	if ok {
		return n
	}
	var st unix.Stat_t
	err := unix.Lstat(r.HostPath(p), &st)
	if r.inputs != nil {
		r.inputs.add(r.HostPath(p), statOf(&st, err))
	}
	if err != nil {
		n.err = err
	} else {
		n.mode = fileMode(st.Mode)
		n.dev, n.ino = uint64(st.Dev), st.Ino
		if n.mode&fs.ModeSymlink != 0 {
			n.target, n.err = os.Readlink(r.HostPath(p))
			n.err = unwrapPathError(n.err)
		}
	}
	if n.err != nil {
		// Not remembered: a file may be added to the tree between two
		// runs over it (ldconfig writing a cache), and a failed lookup
		// is rare once the resolver has listed the directories.
		return n
	}
	r.mu.Lock()
	if r.nodes == nil {
		r.nodes = map[string]pathNode{}
	}
	r.nodes[p] = n
	r.mu.Unlock()
	return n
}

// fileMode converts a stat mode to the type bits of an fs.FileMode (the
// walk needs only the type).
func fileMode(m uint32) fs.FileMode {
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFLNK:
		return fs.ModeSymlink
	case unix.S_IFREG:
		return 0
	}
	return fs.ModeIrregular
}

// Dir is the host directory of the root.
func (r *Root) Dir() string { return r.dir }

// IsHost reports whether the root is the host's "/".
func (r *Root) IsHost() bool { return r.dir == "/" }

// HostPath is the host path of p, a path inside the root, without resolving
// any symlink. Only use it on paths returned by Resolve or for error text.
func (r *Root) HostPath(p string) string {
	if r.dir == "/" {
		return Clean(p)
	}
	return filepath.Join(r.dir, Clean(p))
}

// Clean returns p as a clean absolute path: "a/../b" is "/b" and ".." above
// "/" stays at "/", as it does at the root of a chroot.
func Clean(p string) string {
	if isClean(p) {
		return p // most are: no copy
	}
	return path.Clean("/" + p)
}

// isClean reports whether p is a clean absolute path: no empty, "." or
// ".." element, no trailing slash.
func isClean(p string) bool {
	if p == "/" {
		return true
	}
	if len(p) < 2 || p[0] != '/' || p[len(p)-1] == '/' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i-1] != '/' {
			continue
		}
		// p[i] starts an element.
		switch elem := p[i:]; {
		case elem[0] == '/':
			return false
		case elem == "." || elem == ".." || strings.HasPrefix(elem, "./") || strings.HasPrefix(elem, "../"):
			return false
		}
	}
	return true
}

// A Link is one symlink met on the way to a file.
type Link struct {
	Path   string `json:"path"`   // where the link is, inside the root
	Target string `json:"target"` // its content, as written
}

// Resolve follows every symlink in p and returns the real path inside the
// root, with the links met on the way in the order they were followed.
func (r *Root) Resolve(p string) (string, []Link, error) { return r.resolve(p, true) }

// ResolveParent follows the symlinks in the directory part of p, but not a
// final symlink: the result names p itself (which may be a symlink).
func (r *Root) ResolveParent(p string) (string, []Link, error) { return r.resolve(p, false) }

// resolve is Resolve, or ResolveParent when followLast is false.
func (r *Root) resolve(p string, followLast bool) (string, []Link, error) {
	var links []Link
	real, err := r.walk("/"+p, &links, followLast)
	if err != nil {
		return "", links, prefixed(&fs.PathError{Op: "resolve", Path: p, Err: err})
	}
	return real, links, nil
}

// walk resolves the clean absolute path p in the root (Walk, with what the
// kernel says of each path, asked once).
//
// A walk that succeeded is remembered as the nodes are (the collector
// resolves the same library paths for each rule that meets them); one
// that failed is asked again.
func (r *Root) walk(p string, links *[]Link, followLast bool) (string, error) {
	key := walkKey{p, followLast}
	r.mu.Lock()
	w, ok := r.walks[key]
	r.mu.Unlock()
	if ok {
		*links = append(*links, w.links...)
		return w.real, nil
	}
	var own []Link
	real, err := Walk(p, followLast, &own, func(q string) (Node, error) {
		n := r.lookupNode(q)
		return Node{Mode: n.mode, Target: n.target}, n.err
	})
	*links = append(*links, own...)
	if err == nil {
		r.mu.Lock()
		if r.walks == nil {
			r.walks = map[walkKey]walked{}
		}
		r.walks[key] = walked{real, own}
		r.mu.Unlock()
	}
	return real, err
}

// Lstat describes p without following a final symlink.
func (r *Root) Lstat(p string) (fs.FileInfo, error) {
	host, err := r.hostInput(p, false)
	if err != nil {
		return nil, err
	}
	st, err := os.Lstat(host)
	return st, prefixed(err)
}

// Stat describes the file p names, following symlinks inside the root.
func (r *Root) Stat(p string) (fs.FileInfo, error) {
	host, err := r.hostInput(p, true)
	if err != nil {
		return nil, err
	}
	st, err := os.Lstat(host)
	return st, prefixed(err)
}

// Readlink returns the content of the symlink p.
func (r *Root) Readlink(p string) (string, error) {
	host, err := r.hostInput(p, false)
	if err != nil {
		return "", err
	}
	target, err := os.Readlink(host)
	return target, prefixed(err)
}

// ReadDir lists the directory p.
func (r *Root) ReadDir(p string) ([]fs.DirEntry, error) {
	host, err := r.hostInput(p, true)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(host)
	return entries, prefixed(err)
}

// hostInput resolves p (its last symlink too if followLast) and returns
// the host path to ask the kernel about, recorded in the input log first.
func (r *Root) hostInput(p string, followLast bool) (string, error) {
	real, _, err := r.resolve(p, followLast)
	if err != nil {
		return "", err
	}
	host := r.HostPath(real)
	if r.inputs != nil {
		r.inputs.addLstat(host)
	}
	return host, nil
}

// Open opens the regular file p for reading. The kernel re-checks that the
// open stays inside the root (openat2 RESOLVE_IN_ROOT), so a symlink swapped
// in after Resolve cannot lead outside it.
func (r *Root) Open(p string) (*os.File, error) {
	fd, _, err := r.openFD(p)
	if err != nil {
		return nil, prefixed(err)
	}
	// O_NONBLOCK was there so that opening a FIFO cannot hang; the file
	// is regular, and os.File treats a blocking descriptor as one.
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, prefixed(&fs.PathError{Op: "open", Path: p, Err: err})
	}
	return os.NewFile(uintptr(fd), p), nil
}

// openFD opens the regular file p and returns its descriptor and size. The
// scanner reads through it with pread: an os.File costs several system
// calls more per open, and the scanner opens every library of a closure.
func (r *Root) openFD(p string) (int, int64, error) {
	real, _, err := r.Resolve(p)
	if err != nil {
		return -1, 0, err
	}
	fd, err := r.openInRoot(real)
	if err != nil {
		return -1, 0, &fs.PathError{Op: "open", Path: p, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, 0, &fs.PathError{Op: "open", Path: p, Err: err}
	}
	if r.inputs != nil {
		r.inputs.add(r.HostPath(real), statOf(&st, nil))
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return fd, st.Size, nil
	case unix.S_IFDIR:
		err = unix.EISDIR
	default:
		err = errors.New("not a regular file")
	}
	unix.Close(fd)
	return -1, 0, &fs.PathError{Op: "open", Path: p, Err: err}
}

// fdReader reads a file descriptor with pread, for Scan.
type fdReader int

func (f fdReader) ReadAt(b []byte, off int64) (int, error) {
	read := 0
	for read < len(b) {
		n, err := unix.Pread(int(f), b[read:], off+int64(read))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return read, err
		}
		if n == 0 {
			return read, io.EOF
		}
		read += n
	}
	return read, nil
}

// ReadFile reads the whole regular file p, refusing files over limit bytes.
func (r *Root) ReadFile(p string, limit int64) ([]byte, error) {
	// With pread on the descriptor, as the scanner reads: the collector
	// reads a thousand package lists, and an os.File costs system calls.
	fd, size, err := r.openFD(p)
	if err != nil {
		return nil, prefixed(err)
	}
	defer unix.Close(fd)
	if size > limit {
		return nil, prefixed(&fs.PathError{Op: "read", Path: p, Err: fmt.Errorf("file is %d bytes, over the limit of %d", size, limit)})
	}
	buf := make([]byte, size)
	n, err := fdReader(fd).ReadAt(buf, 0)
	if err != nil && n != len(buf) {
		return nil, prefixed(&fs.PathError{Op: "read", Path: p, Err: err})
	}
	return buf, nil
}

// openInRoot opens real, a resolved path inside the root, without
// blocking on a FIFO or taking a terminal.
func (r *Root) openInRoot(real string) (int, error) {
	const flags = unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOCTTY | unix.O_NONBLOCK
	if r.IsHost() {
		return unix.Open(real, flags, 0)
	}
	dirfd, err := unix.Open(r.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(dirfd)
	rel := strings.TrimPrefix(real, "/")
	if rel == "" {
		rel = "." // the root itself: openat2 refuses an empty path
	}
	fd, err := unix.Openat2(dirfd, rel, &unix.OpenHow{
		Flags:   flags,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err == unix.ENOSYS {
		// Kernels before 5.6: the path was resolved inside the root above.
		return unix.Open(r.HostPath(real), flags, 0)
	}
	return fd, err
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
