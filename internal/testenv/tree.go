package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TreeList describes the tree under dir, one sorted line per entry below it:
//
//	d 0755 usr
//	f 0644 etc/passwd sha256:…
//	l usr/lib64 -> lib
//	c 0666 dev/null 1,3
//
// with type, permission bits (including setuid, setgid, sticky), the path
// relative to dir, and the content digest, link target or device number.
// Owners and times are left out. Compare two lists to show how trees differ.
func TreeList(t testing.TB, dir string) []string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		line, err := treeLine(path, rel, info)
		if err != nil {
			return err
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatalf("listing tree %s: %v", dir, err)
	}
	return lines // WalkDir visits in lexical order
}

func treeLine(path, rel string, info fs.FileInfo) (string, error) {
	mode := info.Mode()
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return "", fmt.Errorf("%s: no stat data", path)
	}
	perm := st.Mode & 0o7777 // with setuid, setgid and sticky
	switch {
	case mode.IsDir():
		return fmt.Sprintf("d %04o %s", perm, rel), nil
	case mode.IsRegular():
		sum, err := fileDigest(path)
		return fmt.Sprintf("f %04o %s %s", perm, rel, sum), err
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		return fmt.Sprintf("l %s -> %s", rel, target), err
	case mode&fs.ModeDevice != 0:
		kind := "b"
		if mode&fs.ModeCharDevice != 0 {
			kind = "c"
		}
		return fmt.Sprintf("%s %04o %s %d,%d", kind, perm, rel, unix.Major(st.Rdev), unix.Minor(st.Rdev)), nil
	case mode&fs.ModeNamedPipe != 0:
		return fmt.Sprintf("p %04o %s", perm, rel), nil
	default:
		return fmt.Sprintf("? %04o %s %v", perm, rel, mode.Type()), nil
	}
}

func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// TreeDigest returns a digest of the tree under dir: names, types, modes,
// symlink targets and file contents (the lines of TreeList), not owners or
// times. Two trees with equal digests are the same for a container.
func TreeDigest(t testing.TB, dir string) string {
	t.Helper()
	h := sha256.New()
	for _, line := range TreeList(t, dir) {
		io.WriteString(h, line)
		h.Write([]byte{0})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// CopyFile copies the file src (following symlinks) to dst with the same
// permission bits, creating dst's parent directories.
func CopyFile(t testing.TB, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, info.Mode().Perm())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		t.Fatalf("copying %s to %s: %v", src, dst, err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	// OpenFile's mode is filtered by the umask; an existing dst keeps its own.
	if err := os.Chmod(dst, info.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		t.Fatal(err)
	}
}

// CopyTree copies the tree src into the directory dst (created if needed)
// with cp -a: modes, owners, times, symlinks and hard links are kept. Use it
// before changing a shared tree such as a sysroot.
func CopyTree(t testing.TB, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("cp", "-a", strings.TrimSuffix(src, "/")+"/.", dst).CombinedOutput()
	if err != nil {
		t.Fatalf("cp -a %s %s: %v\n%s", src, dst, err, out)
	}
}
