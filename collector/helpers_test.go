package collector_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/elfscan"
)

// collect runs Collect and fails the test on an error.
func collect(t testing.TB, roots []string, opts ...collector.Option) *collector.Plan {
	t.Helper()
	plan, err := collector.Collect(roots, opts...)
	if err != nil {
		t.Fatalf("Collect(%q): %v", roots, err)
	}
	return plan
}

// writeRootfs writes the plan to a new directory and returns it.
func writeRootfs(t testing.TB, plan *collector.Plan) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rootfs")
	if err := collector.WriteDir(plan, dir); err != nil {
		t.Fatalf("WriteDir: %v", err)
	}
	return dir
}

// newRoot returns the elfscan Root of a test directory.
func newRoot(t testing.TB, dir string) *elfscan.Root {
	t.Helper()
	root, err := elfscan.NewRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// listing is one line per entry: "file /usr/bin/x", "symlink /lib -> usr/lib".
func listing(plan *collector.Plan) []string {
	var out []string
	for _, e := range plan.Entries {
		s := e.Kind.String() + " " + e.Path
		if e.Target != "" {
			s += " -> " + e.Target
		}
		out = append(out, s)
	}
	return out
}

// entriesOf returns the paths of the plan's entries of kind k.
func entriesOf(plan *collector.Plan, k collector.EntryKind) []string {
	var out []string
	for _, e := range plan.Entries {
		if e.Kind == k {
			out = append(out, e.Path)
		}
	}
	return out
}

// mustEntry returns the entry at p or fails.
func mustEntry(t testing.TB, plan *collector.Plan, p string) *collector.Entry {
	t.Helper()
	e := plan.Lookup(p)
	if e == nil {
		t.Fatalf("%s not in the plan:\n%s", p, strings.Join(listing(plan), "\n"))
	}
	return e
}

// treeDigest digests everything WriteDir promises to make identical:
// names, types, modes, owners, modification times, link targets, hard
// link groups and contents.
func treeDigest(t testing.TB, dir string) string {
	t.Helper()
	h := sha256.New()
	inodes := map[uint64]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		fmt.Fprintf(h, "%s %v %d:%d %d", rel, info.Mode(), st.Uid, st.Gid, info.ModTime().UnixNano())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			fmt.Fprintf(h, " -> %s", target)
		case info.Mode().IsRegular():
			if first, ok := inodes[st.Ino]; ok {
				fmt.Fprintf(h, " link %s", first)
				break
			}
			inodes[st.Ino] = rel
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			c := sha256.New()
			_, err = io.Copy(c, f)
			f.Close()
			if err != nil {
				return err
			}
			fmt.Fprintf(h, " %x", c.Sum(nil))
		}
		fmt.Fprintln(h)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// treeSize is the number of entries and bytes of regular files (hard
// links once) under dir.
func treeSize(t testing.TB, dir string) (entries int, bytes int64) {
	t.Helper()
	seen := map[uint64]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		entries++
		info, err := d.Info()
		if err != nil {
			return err
		}
		if st := info.Sys().(*syscall.Stat_t); info.Mode().IsRegular() && !seen[st.Ino] {
			seen[st.Ino] = true
			bytes += info.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return entries, bytes
}

// sorted returns a sorted copy.
func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

// hasReason reports whether one of e's reasons contains s.
func hasReason(e *collector.Entry, s string) bool {
	for _, r := range e.Reasons {
		if strings.Contains(r.String(), s) {
			return true
		}
	}
	return false
}

// mkfile writes a file (and its directories) under dir.
func mkfile(t testing.TB, dir, p, content string, mode fs.FileMode) {
	t.Helper()
	full := filepath.Join(dir, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(full, mode); err != nil {
		t.Fatal(err)
	}
}

// mklink makes a symlink (and its directory) under dir.
func mklink(t testing.TB, dir, p, target string) {
	t.Helper()
	full := filepath.Join(dir, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, full); err != nil {
		t.Fatal(err)
	}
}

// warningText is the text of warnings, one a line, for test messages.
func warningText(ws []collector.Warning) string {
	s := make([]string, len(ws))
	for i, w := range ws {
		s[i] = w.String()
	}
	return strings.Join(s, "\n")
}

// warnedAbout returns the plan's warning of kind about the path p.
func warnedAbout(plan *collector.Plan, kind collector.WarningKind, p string) (collector.Warning, bool) {
	for _, w := range plan.WarningsOf(kind) {
		if w.Path == p {
			return w, true
		}
	}
	return collector.Warning{}, false
}
