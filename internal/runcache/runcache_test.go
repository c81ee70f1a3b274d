package runcache

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/elfscan"
)

// readTree reads, through a Root over dir, what a run reads: a file, a
// directory's listing, a symlink, and a path that does not exist; and
// returns the log of it.
func readTree(t *testing.T, dir string) *elfscan.InputLog {
	t.Helper()
	log := elfscan.NewInputLog()
	root, err := elfscan.NewRoot(dir, elfscan.WithInputLog(log))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.ReadFile("/etc/conf", 1<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := root.ReadDir("/lib"); err != nil {
		t.Fatal(err)
	}
	if _, err := root.Readlink("/lib/link"); err != nil {
		t.Fatal(err)
	}
	if _, err := root.Lstat("/etc/missing"); err == nil {
		t.Fatal("/etc/missing exists")
	}
	return log
}

func makeTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"etc", "lib"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "etc/conf"), []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("conf", filepath.Join(dir, "lib/link")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestChanges keeps a run over each of several trees, changes each tree
// in one way, and wants every changed one missed and the unchanged one
// replayed.
func TestChanges(t *testing.T) {
	changes := map[string]func(dir string) error{
		"unchanged": func(string) error { return nil },
		// Same size, and the modification time put back: the change
		// time still tells.
		"rewritten": func(dir string) error {
			p := filepath.Join(dir, "etc/conf")
			st, err := os.Stat(p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(p, []byte("two"), 0o644); err != nil {
				return err
			}
			return os.Chtimes(p, st.ModTime(), st.ModTime())
		},
		"chmod":      func(dir string) error { return os.Chmod(filepath.Join(dir, "etc/conf"), 0o600) },
		"made":       func(dir string) error { return os.WriteFile(filepath.Join(dir, "etc/missing"), nil, 0o644) },
		"listed dir": func(dir string) error { return os.WriteFile(filepath.Join(dir, "lib/new"), nil, 0o644) },
		"link retargeted": func(dir string) error {
			p := filepath.Join(dir, "lib/link")
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.Symlink("other", p)
		},
		"replaced": func(dir string) error {
			p := filepath.Join(dir, "etc/conf")
			if err := os.WriteFile(p+".new", []byte("one"), 0o644); err != nil {
				return err
			}
			return os.Rename(p+".new", p)
		},
	}
	dirs := map[string]string{}
	for name := range changes {
		dirs[name] = makeTree(t)
	}
	// What was just made is too new to be kept.
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out := &Output{Chunks: []Chunk{{1, []byte("out\n")}, {2, []byte("err\n")}, {1, []byte("more\n")}}, Exit: 1}
	if err := c.Put(NewKey("too new"), out, readTree(t, dirs["unchanged"])); !errors.Is(err, ErrTooNew) {
		t.Fatalf("Put of a run over files just made: %v, want ErrTooNew", err)
	}
	time.Sleep(Granularity + 100*time.Millisecond)
	for name, dir := range dirs {
		if err := c.Put(NewKey(name), out, readTree(t, dir)); err != nil {
			t.Fatalf("%s: Put: %v", name, err)
		}
	}
	for name, change := range changes {
		if err := change(dirs[name]); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, hit := c.Get(NewKey(name))
		if hit != (name == "unchanged") {
			t.Errorf("%s: Get hit %v", name, hit)
		}
		if hit {
			var o, e bytes.Buffer
			if err := got.Replay(&o, &e); err != nil {
				t.Fatal(err)
			}
			if o.String() != "out\nmore\n" || e.String() != "err\n" || got.Exit != 1 {
				t.Errorf("replayed %q, %q, exit %d", o.String(), e.String(), got.Exit)
			}
		}
	}
	if _, hit := c.Get(NewKey("never kept")); hit {
		t.Error("a key never kept was found")
	}
}

// TestDamaged: an entry cut short, or with a byte changed, is a miss.
func TestDamaged(t *testing.T) {
	dir := makeTree(t)
	time.Sleep(Granularity + 100*time.Millisecond)
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k := NewKey("x")
	if err := c.Put(k, &Output{Chunks: []Chunk{{1, []byte(strings.Repeat("x", 100))}}}, readTree(t, dir)); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(c.path(k))
	if err != nil {
		t.Fatal(err)
	}
	if _, hit := c.Get(k); !hit {
		t.Fatal("the entry is not found")
	}
	for _, damaged := range [][]byte{
		whole[:len(whole)/2],
		append(append([]byte(nil), whole[:40]...), append([]byte{whole[40] ^ 1}, whole[41:]...)...),
		nil,
	} {
		if err := os.WriteFile(c.path(k), damaged, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, hit := c.Get(k); hit {
			t.Errorf("a damaged entry of %d bytes was used", len(damaged))
		}
	}
}

// FuzzDecode: no input makes decode panic or allocate beyond its size.
func FuzzDecode(f *testing.F) {
	f.Add(encode(&entry{inputs: []elfscan.Input{{Path: "/a"}}, out: &Output{Chunks: []Chunk{{2, []byte("e")}}}}))
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		decode(data)
	})
}
