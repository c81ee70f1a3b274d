//go:build linux && (amd64 || arm64)

package trace

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// procPath returns /proc/TID/elem.
func procPath(tid int, elem string) string {
	return "/proc/" + strconv.Itoa(tid) + "/" + elem
}

// fdPath returns the path of the file descriptor fd of tid, AT_FDCWD
// meaning its working directory, as the kernel reports it in /proc. It
// must be called while tid is stopped in the call that uses fd.
func fdPath(tid int, fd int32) (string, error) {
	if fd == unix.AT_FDCWD {
		return os.Readlink(procPath(tid, "cwd"))
	}
	return os.Readlink(procPath(tid, "fd/"+strconv.Itoa(int(fd))))
}

// absPath makes name, as given to a call with dirfd, absolute: relative
// to the directory of dirfd (AT_FDCWD: the working directory of tid).
func (t *tracer) absPath(tid int, dirfd int32, name string) (string, error) {
	if filepath.IsAbs(name) {
		return t.cleanPath(tid, name), nil
	}
	dir, err := t.fdPath(tid, dirfd)
	if err != nil {
		return "", err
	}
	return t.cleanPath(tid, dir+"/"+name), nil
}

// fdPath is fdPath as the process sees it: a chroot'ed process's paths
// come from /proc with its root in front, which is cut.
func (t *tracer) fdPath(tid int, fd int32) (string, error) {
	p, err := fdPath(tid, fd)
	if err != nil || t.sandbox == nil {
		return p, err
	}
	root, err := os.Readlink(procPath(tid, "root"))
	if err != nil || root == "/" {
		return p, nil
	}
	if p == root {
		return "/", nil
	}
	if rest, ok := strings.CutPrefix(p, root+"/"); ok {
		return "/" + rest, nil
	}
	return p, nil
}

// hostPath is where the tracer reads path, a path of tid: through
// /proc/TID/root in a sandbox.
func (t *tracer) hostPath(tid int, path string) string {
	if t.sandbox == nil {
		return path
	}
	return procPath(tid, "root") + path
}

// cleanPath is cleanPath, resolving on the process's view of the file
// system in a sandbox. Only a ".." after a symbolic link needs it.
func (t *tracer) cleanPath(tid int, p string) string {
	if t.sandbox == nil || !strings.Contains(p, "..") {
		return cleanPath(p)
	}
	// Lexically: inside a sandbox the host's links are not the
	// program's.
	return filepath.Clean(p)
}

// cleanPath is filepath.Clean, except for ".." after a symbolic link:
// the kernel goes to the parent of the link's target, not of the link,
// so there the link is resolved (on the tracer's view of the file
// system, which is the tracee's unless it changed its root).
func cleanPath(p string) string {
	if !strings.Contains(p, "..") {
		return filepath.Clean(p)
	}
	out := "/"
	for _, elem := range strings.Split(p, "/") {
		switch elem {
		case "", ".":
		case "..":
			if fi, err := os.Lstat(out); err == nil && fi.Mode()&os.ModeSymlink != 0 {
				if real, err := filepath.EvalSymlinks(out); err == nil {
					out = real
				}
			}
			out = filepath.Dir(out)
		default:
			out = filepath.Join(out, elem)
		}
	}
	return out
}

// shebang returns the interpreter named by the "#!" line of the file at
// path, or "" if it is not a script. The kernel reads at most the first
// 256 bytes (BINPRM_BUF_SIZE).
func shebang(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var buf [256]byte
	n, _ := f.Read(buf[:])
	line := buf[:n]
	if len(line) < 2 || line[0] != '#' || line[1] != '!' {
		return ""
	}
	s := string(line[2:])
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}
