package collector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// A WriteOption configures WriteDir.
type WriteOption func(*writeConfig)

type writeConfig struct {
	force bool
	mtime time.Time
	ctx   context.Context
}

// WithForce lets WriteDir replace a directory that is not empty. The old
// content is removed only once the new tree is complete.
func WithForce() WriteOption { return func(c *writeConfig) { c.force = true } }

// WithTime sets the epoch that modification times are clamped to
// (default: the Unix epoch, so that two runs give identical trees): a file
// of the root keeps its own time if it is earlier, every other entry
// (generated files, directories, symlinks) gets t; see Entry.ClampedTime.
// Pass the time of SOURCE_DATE_EPOCH for reproducible builds that want it,
// and the same t to image.WithTime so that a rootfs and an image agree.
func WithTime(t time.Time) WriteOption { return func(c *writeConfig) { c.mtime = t } }

// WithContext makes WriteDir stop when ctx is done (an interrupt): it
// checks between entries and between chunks of a large file, removes the
// temporary tree and returns ctx's error, context.Cause included.
func WithContext(ctx context.Context) WriteOption { return func(c *writeConfig) { c.ctx = ctx } }

// WriteDir writes the plan as a directory tree at dir: every entry with
// its mode, its owner (Uid, Gid; when run as root), its modification time clamped
// to WithTime's (Entry.ClampedTime) and, for files, the content of its
// source, copied with copy_file_range where the file systems allow it, its
// holes kept (a sparse file stays sparse).
//
// dir must be absent or empty, unless WithForce. The tree is built in a
// temporary directory beside dir and renamed to dir at the end, so a
// failure leaves nothing half-written; nothing is written outside that
// temporary directory and dir.
func WriteDir(plan *Plan, dir string, opts ...WriteOption) (err error) {
	cfg := &writeConfig{mtime: time.Unix(0, 0), ctx: context.Background()}
	for _, o := range opts {
		o(cfg)
	}
	if err := plan.Check(); err != nil {
		return err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return err
	}
	exists, err := checkOutput(dir, cfg.force)
	if err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	defer func() {
		if tmp != "" {
			os.RemoveAll(tmp)
		}
	}()
	w := &dirWriter{ctx: cfg.ctx, plan: plan, dir: tmp, mtime: cfg.mtime, root: os.Geteuid() == 0}
	if err := w.write(); err != nil {
		if cfg.ctx.Err() != nil {
			return fmt.Errorf("write %s: %w", dir, context.Cause(cfg.ctx))
		}
		return fmt.Errorf("write %s: %w", dir, err)
	}
	if !exists {
		// rename(2) also replaces an empty directory that appeared since.
		err = unix.Rename(tmp, dir)
	} else {
		// Swap the new tree in atomically; the old one is in tmp after.
		err = unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_EXCHANGE)
	}
	if err != nil {
		return fmt.Errorf("write %s: rename from %s: %w", dir, tmp, err)
	}
	if !exists {
		tmp = ""
	}
	return nil
}

// checkOutput checks that dir can be written: absent, an empty directory,
// or any directory with force. It reports whether dir exists.
func checkOutput(dir string, force bool) (bool, error) {
	st, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	case !st.IsDir():
		return false, fmt.Errorf("write %s: exists and is not a directory", dir)
	}
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if err != nil && err != io.EOF {
		return false, err
	}
	if len(names) > 0 && !force {
		return false, fmt.Errorf("write %s: directory not empty (WithForce replaces it)", dir)
	}
	return true, nil
}

type dirWriter struct {
	ctx   context.Context
	plan  *Plan
	dir   string
	mtime time.Time
	root  bool // chown to the entries' owners
	buf   []byte
}

func (w *dirWriter) host(p string) string {
	return filepath.Join(w.dir, strings.TrimPrefix(p, "/"))
}

// write creates every entry in plan order (parents first), hard links once
// their files exist, then fixes directory modes and times from the
// deepest up, so that read-only directories can be filled first.
func (w *dirWriter) write() error {
	var dirs, hardlinks []*Entry
	for i := range w.plan.Entries {
		e := &w.plan.Entries[i]
		if e.Path == "/" {
			continue
		}
		if err := w.ctx.Err(); err != nil {
			return err
		}
		var err error
		switch e.Kind {
		case Dir:
			err = os.Mkdir(w.host(e.Path), 0o700)
			dirs = append(dirs, e)
		case File:
			err = w.writeFile(e)
		case Symlink:
			err = os.Symlink(e.Target, w.host(e.Path))
			if err == nil {
				err = w.finish(e, 0, false)
			}
		case Hardlink:
			hardlinks = append(hardlinks, e)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", e.Path, err)
		}
	}
	for _, e := range hardlinks {
		if err := os.Link(w.host(e.Target), w.host(e.Path)); err != nil {
			return fmt.Errorf("%s: %w", e.Path, err)
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := w.finish(dirs[i], dirs[i].Mode, true); err != nil {
			return fmt.Errorf("%s: %w", dirs[i].Path, err)
		}
	}
	top := &Entry{Path: "/", Kind: Dir, Mode: fs.ModeDir | 0o755}
	if e := w.plan.Lookup("/"); e != nil {
		top = e
	}
	return w.finish(top, top.Mode, true)
}

// writeFile copies a File entry's content into a new file.
func (w *dirWriter) writeFile(e *Entry) error {
	src, err := w.plan.Open(e)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(w.host(e.Path), os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	if f, ok := src.(*os.File); ok {
		var st os.FileInfo
		if st, err = f.Stat(); err == nil {
			if e.Size != 0 && st.Size() != e.Size {
				err = fmt.Errorf("%s is %d bytes, the plan says %d: it changed after planning", e.Source, st.Size(), e.Size)
			} else {
				err = copySparse(w.ctx, dst, f, st.Size(), &w.buf)
			}
		}
	} else {
		if w.buf == nil {
			w.buf = make([]byte, 256<<10)
		}
		_, err = io.CopyBuffer(dst, src, w.buf)
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return w.finish(e, e.Mode, true)
}

// finish sets owner, mode (unless setMode is false: symlinks) and times
// (Entry.ClampedTime). The owner comes first: chown clears setuid and
// setgid bits.
func (w *dirWriter) finish(e *Entry, mode fs.FileMode, setMode bool) error {
	h := w.host(e.Path)
	if w.root {
		if err := os.Lchown(h, e.Uid, e.Gid); err != nil {
			return err
		}
	}
	if setMode {
		if err := os.Chmod(h, mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
			return err
		}
	}
	t := unix.NsecToTimespec(e.ClampedTime(w.mtime).UnixNano())
	ts := []unix.Timespec{t, t}
	return unix.UtimesNanoAt(unix.AT_FDCWD, h, ts, unix.AT_SYMLINK_NOFOLLOW)
}
