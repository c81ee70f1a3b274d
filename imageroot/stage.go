package imageroot

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"
)

// The whiteout names of the OCI image spec (layer.md).
const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

// maxNotesPerLayer bounds the notes of one layer: a layer of a million
// device nodes says so in a few lines.
const maxNotesPerLayer = 10

// stage applies the layers of img in order into r.dir.
func (r *Root) stage(ctx context.Context, img v1.Image, cf *v1.ConfigFile) error {
	layers, err := img.Layers()
	if err != nil {
		return fmt.Errorf("imageroot: %w", err)
	}
	if len(layers) != len(cf.RootFS.DiffIDs) {
		return fmt.Errorf("imageroot: the manifest has %d layers, the config %d diff IDs", len(layers), len(cf.RootFS.DiffIDs))
	}
	rootfd, err := unix.Open(r.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("imageroot: %w", err)
	}
	defer unix.Close(rootfd)
	// MkdirTemp made it 0700: a program run in it as another user must
	// reach its files.
	if err := unix.Fchmodat(unix.AT_FDCWD, r.dir, 0o755, 0); err != nil {
		return fmt.Errorf("imageroot: %w", err)
	}
	for i, l := range layers {
		a := &applier{ctx: ctx, rootfd: rootfd, written: map[string]bool{}, uid: os.Geteuid(), gid: os.Getegid(), cachedFD: -1}
		err := a.apply(l, cf.RootFS.DiffIDs[i])
		a.dropParent()
		if err != nil {
			d, _ := l.Digest()
			return fmt.Errorf("imageroot: layer %d (%s): %w", i+1, d, err)
		}
		if a.skipped > maxNotesPerLayer {
			a.notes = append(a.notes, fmt.Sprintf("layer %d: %d more entries skipped", i+1, a.skipped-maxNotesPerLayer))
		}
		for _, n := range a.notes {
			r.notes = append(r.notes, fmt.Sprintf("layer %d: %s", i+1, n))
		}
	}
	return nil
}

// An applier applies one layer.
type applier struct {
	ctx    context.Context
	rootfd int
	// uid and gid own what this process creates: chown is skipped for them.
	uid, gid int
	// cachedDir is open as cachedFD (-1 for none); see parent.
	cachedDir string
	cachedFD  int
	written   map[string]bool // paths this layer made: its own whiteouts spare them
	notes     []string
	skipped   int
}

func (a *applier) note(format string, args ...any) {
	a.skipped++
	if a.skipped <= maxNotesPerLayer {
		a.notes = append(a.notes, fmt.Sprintf(format, args...))
	}
}

// apply reads the layer's uncompressed tar, checking its sha256 against
// diffID, and applies each entry.
func (a *applier) apply(l v1.Layer, diffID v1.Hash) error {
	rc, err := l.Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	tr := tar.NewReader(io.TeeReader(rc, h))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := a.ctx.Err(); err != nil {
			return err
		}
		if err := a.entry(hdr, tr); err != nil {
			return fmt.Errorf("%s: %w", hdr.Name, err)
		}
	}
	// The padding after the end-of-archive blocks is part of the digest.
	if _, err := io.Copy(h, rc); err != nil {
		return err
	}
	return checkDigest(h, diffID)
}

func checkDigest(h hash.Hash, want v1.Hash) error {
	got := fmt.Sprintf("%x", h.Sum(nil))
	if want.Algorithm != "sha256" || want.Hex != got {
		return fmt.Errorf("content is sha256:%s, the config's diff ID is %s", got, want)
	}
	return nil
}

// cleanName returns the entry's path inside the root ("/a/b"), or ok
// false for a name with ".." in it, which would climb out of the root if
// taken as written.
func cleanName(name string) (string, bool) {
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return "", false
		}
	}
	return path.Clean("/" + name), true
}

func (a *applier) entry(hdr *tar.Header, body io.Reader) error {
	switch hdr.Typeflag {
	case tar.TypeXGlobalHeader:
		return nil
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		a.note("%s: device or FIFO skipped", hdr.Name)
		return nil
	}
	p, ok := cleanName(hdr.Name)
	if !ok {
		a.note("%s: skipped: the name leaves the root", hdr.Name)
		return nil
	}
	dir, base := path.Split(p)
	if base == opaqueMarker {
		a.dropParent()
		return a.opaque(dir)
	}
	if strings.HasPrefix(base, whiteoutPrefix) {
		a.dropParent()
		return a.whiteout(dir, strings.TrimPrefix(base, whiteoutPrefix), hdr.Name)
	}
	if p == "/" {
		if hdr.Typeflag == tar.TypeDir {
			return a.attrs(a.rootfd, ".", hdr)
		}
		a.note("%s: skipped: the root must stay a directory", hdr.Name)
		return nil
	}
	if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeRegA {
		a.dropParent() // a directory or link may change what a path leads to
	}
	pfd, err := a.parent(dir)
	if err != nil {
		return err
	}
	a.written[p] = true
	switch hdr.Typeflag {
	case tar.TypeDir:
		var st unix.Stat_t
		err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
			if err := removeAt(pfd, base); err != nil {
				return err
			}
			if err := unix.Mkdirat(pfd, base, 0o755); err != nil {
				return err
			}
		}
		return a.attrs(pfd, base, hdr)
	case tar.TypeReg, tar.TypeRegA:
		return a.regular(pfd, base, hdr, body)
	case tar.TypeSymlink:
		if err := removeAt(pfd, base); err != nil {
			return err
		}
		// The target is written as it is: it is only ever followed inside
		// the root (elfscan.Root, openat2 RESOLVE_IN_ROOT, chroot).
		if err := unix.Symlinkat(hdr.Linkname, pfd, base); err != nil {
			return err
		}
		return a.attrs(pfd, base, hdr)
	case tar.TypeLink:
		return a.hardlink(pfd, base, hdr)
	}
	a.note("%s: skipped: tar entry type %q", hdr.Name, hdr.Typeflag)
	return nil
}

// regular writes a regular file, by descriptor: a layer is mostly files,
// and each path lookup costs.
func (a *applier) regular(pfd int, base string, hdr *tar.Header, body io.Reader) error {
	const flags = unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Openat(pfd, base, flags, 0o600)
	if err == unix.EEXIST {
		if err := removeAt(pfd, base); err != nil {
			return err
		}
		fd, err = unix.Openat(pfd, base, flags, 0o600)
	}
	if err != nil {
		return err
	}
	err = copyTo(fd, body)
	if err == nil && (hdr.Uid != a.uid || hdr.Gid != a.gid) {
		if err = unix.Fchown(fd, hdr.Uid, hdr.Gid); err == unix.EPERM {
			err = nil
		}
	}
	if err == nil {
		// After chown, which clears setuid and setgid.
		err = unix.Fchmod(fd, uint32(hdr.Mode)&0o7777)
	}
	if err == nil {
		mt := unix.NsecToTimeval(hdr.ModTime.UnixNano())
		err = unix.Futimes(fd, []unix.Timeval{mt, mt})
	}
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	return err
}

// parent returns a descriptor of dir, the directory of an entry, from
// the one-entry cache: the files of a directory come one after another.
func (a *applier) parent(dir string) (int, error) {
	if a.cachedFD >= 0 && a.cachedDir == dir {
		return a.cachedFD, nil
	}
	a.dropParent()
	fd, err := a.openDir(dir, true)
	if err != nil {
		return -1, err
	}
	a.cachedDir, a.cachedFD = dir, fd
	return fd, nil
}

// dropParent forgets the cached directory.
func (a *applier) dropParent() {
	if a.cachedFD >= 0 {
		unix.Close(a.cachedFD)
	}
	a.cachedDir, a.cachedFD = "", -1
}

// hardlink links base in pfd to the entry's Linkname, a path inside the
// root whose directories are resolved inside it; its last component is
// not followed, as tar links the entry itself.
func (a *applier) hardlink(pfd int, base string, hdr *tar.Header) error {
	target, ok := cleanName(hdr.Linkname)
	if !ok || target == "/" {
		a.note("%s: hard link to %s skipped: it leaves the root", hdr.Name, hdr.Linkname)
		return nil
	}
	tdir, tbase := path.Split(target)
	tfd, err := a.openDir(tdir, false)
	if err != nil {
		a.note("%s: hard link to %s skipped: %v", hdr.Name, hdr.Linkname, err)
		return nil
	}
	defer unix.Close(tfd)
	var st unix.Stat_t
	if err := unix.Fstatat(tfd, tbase, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT == unix.S_IFDIR {
		a.note("%s: hard link to %s skipped: no such file in the layers so far", hdr.Name, hdr.Linkname)
		return nil
	}
	if err := removeAt(pfd, base); err != nil {
		return err
	}
	return unix.Linkat(tfd, tbase, pfd, base, 0)
}

// attrs sets owner, mode and modification time of name in dirfd, never
// following a symlink.
func (a *applier) attrs(dirfd int, name string, hdr *tar.Header) error {
	flags := unix.AT_SYMLINK_NOFOLLOW
	if name == "." {
		flags = 0 // the root itself, which is no symlink
	}
	if err := unix.Fchownat(dirfd, name, hdr.Uid, hdr.Gid, flags); err != nil && err != unix.EPERM {
		return err
	}
	if hdr.Typeflag != tar.TypeSymlink {
		// After chown, which clears setuid and setgid. The name is no
		// symlink: this layer just made it.
		mode := uint32(hdr.Mode) & 0o7777
		if err := unix.Fchmodat(dirfd, name, mode, 0); err != nil {
			return err
		}
	}
	ts := []unix.Timespec{unix.NsecToTimespec(hdr.ModTime.UnixNano()), unix.NsecToTimespec(hdr.ModTime.UnixNano())}
	return unix.UtimesNanoAt(dirfd, name, ts, flags)
}

// whiteout removes name from dir, unless this layer made it (whiteouts
// apply to the layers below).
func (a *applier) whiteout(dir, name, entry string) error {
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		a.note("%s: whiteout of the root refused", entry)
		return nil
	}
	p := path.Join(dir, name)
	if a.written[p] {
		return nil
	}
	pfd, err := a.openDir(dir, false)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return nil // nothing to remove
	}
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	return removeAt(pfd, name)
}

// opaque empties dir of what the layers below put there, keeping what
// this layer made.
func (a *applier) opaque(dir string) error {
	dir = path.Clean(dir)
	fd, err := a.openDir(dir, true)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return a.removeOlder(fd, dir)
}

func (a *applier) removeOlder(fd int, dir string) error {
	names, err := readNames(fd)
	if err != nil {
		return err
	}
	for _, n := range names {
		p := path.Join(dir, n)
		if !a.written[p] {
			if err := removeAt(fd, n); err != nil {
				return err
			}
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstatat(fd, n, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			cfd, err := unix.Openat(fd, n, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				return err
			}
			err = a.removeOlder(cfd, p)
			unix.Close(cfd)
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func copyTo(fd int, r io.Reader) error {
	buf := make([]byte, 128<<10)
	for {
		n, err := r.Read(buf)
		for off := 0; off < n; {
			w, werr := unix.Write(fd, buf[off:n])
			if werr == unix.EINTR {
				continue
			}
			if werr != nil {
				return werr
			}
			off += w
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
