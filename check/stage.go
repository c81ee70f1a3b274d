package check

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/fromscratch/fromscratch/collector"
)

// runtimeFiles are the files a container runtime puts in every container
// (docker bind-mounts them), made in the staged tree when the plan has
// none, so that a program reading them finds what the image will.
var runtimeFiles = []struct{ path, data string }{
	{"/etc/hostname", "fromscratch-check\n"},
	{"/etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"},
	{"/etc/resolv.conf", ""},
}

// stage writes the plan's entries under dir: files as hard links to the
// source's when link is set and the file system allows, else as copies.
// Nothing is written outside dir.
func stage(plan *collector.Plan, dir string, link bool) error {
	for i := range plan.Entries {
		e := &plan.Entries[i]
		p := filepath.Join(dir, e.Path)
		var err error
		switch e.Kind {
		case collector.Dir:
			if e.Path != "/" {
				err = os.Mkdir(p, 0o700)
			}
			if err == nil {
				err = os.Chmod(p, e.Mode)
			}
		case collector.File:
			var linked bool
			if linked, err = stageFile(plan, e, p, link); linked {
				continue // the source's own inode: never chown'ed or chmod'ed
			}
		case collector.Symlink:
			err = os.Symlink(e.Target, p)
		case collector.Hardlink:
			err = os.Link(filepath.Join(dir, e.Target), p)
		}
		if err == nil && e.Kind != collector.Hardlink {
			err = chownLike(plan, e, p)
		}
		if err != nil {
			return fmt.Errorf("check: staging %s: %w", e.Path, err)
		}
	}
	for _, f := range runtimeFiles {
		if plan.Lookup(f.path) != nil {
			continue
		}
		p := filepath.Join(dir, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("check: staging %s: %w", f.path, err)
		}
		if err := os.WriteFile(p, []byte(f.data), 0o644); err != nil {
			return fmt.Errorf("check: staging %s: %w", f.path, err)
		}
	}
	return nil
}

// chownLike gives the staged entry at p the owner of its source in the
// root (a service's data directory is its user's, as the owner rule of
// the collector keeps it); generated entries stay root's. Never called on
// a hard link to a source file, which has its owner already and must not
// be touched.
func chownLike(plan *collector.Plan, e *collector.Entry, p string) error {
	src := e.Source
	if src == "" && e.Kind != collector.File {
		src = e.Path
	}
	if src == "" {
		return nil
	}
	fi, err := plan.Root.Lstat(src)
	if err != nil {
		return nil // not in the root: generated
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 && st.Gid == 0 {
		return nil
	}
	if err := os.Lchown(p, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if e.Kind != collector.Symlink {
		return os.Chmod(p, e.Mode) // chown drops setuid and setgid bits
	}
	return nil
}

// stageFile writes the file entry e at p: a hard link to its source
// (linked) when link is set and the file system allows, else a copy.
func stageFile(plan *collector.Plan, e *collector.Entry, p string, link bool) (linked bool, err error) {
	if link && e.Source != "" {
		if err := os.Link(plan.Root.HostPath(e.Source), p); err == nil {
			return true, nil
		}
	}
	r, err := plan.Open(e)
	if err != nil {
		return false, err
	}
	defer r.Close()
	w, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return false, err
	}
	_, err = io.Copy(w, r)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, err
	}
	return false, os.Chmod(p, e.Mode)
}

// devices are the nodes a chroot-only run gets in /dev, made with mknod.
var devices = []struct {
	name         string
	major, minor uint32
}{
	{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
}

// stageChroot prepares dir for a chroot-only run: /dev nodes where mknod
// is permitted, an empty /proc. It returns what it could not make.
func stageChroot(dir string) (lacking []string, err error) {
	for _, d := range []string{"dev", "proc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("check: staging /%s: %w", d, err)
		}
	}
	for _, d := range devices {
		p := filepath.Join(dir, "dev", d.name)
		err := unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(d.major, d.minor)))
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return []string{"/dev (mknod: " + err.Error() + ")"}, nil
		}
		os.Chmod(p, 0o666)
	}
	return nil, nil
}
