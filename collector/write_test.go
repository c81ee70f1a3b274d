package collector_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// Two runs give byte-identical trees: names, modes, owners, times, links,
// hard links and contents.
func TestDeterministic(t *testing.T) {
	testenv.NeedCommand(t, "/usr/bin/curl", "/usr/bin/perl")
	var digests []string
	for i := 0; i < 2; i++ {
		plan := collect(t, []string{"/usr/bin/curl", "/usr/bin/perl", "/usr/bin/iconv"}, collector.WithTZData())
		digests = append(digests, treeDigest(t, writeRootfs(t, plan)))
	}
	if digests[0] != digests[1] {
		t.Fatalf("two runs differ: %s, %s", digests[0], digests[1])
	}
	t.Logf("digest %s", digests[0])
}

func TestWriteDirModes(t *testing.T) {
	dir := miniRoot(t)
	greeter := filepath.Join(dir, "usr/bin/greeter")
	if err := os.Chmod(greeter, 0o4755|fs.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	mkfile(t, dir, "srv/tool", "#!/usr/bin/greeter\n", 0o755)
	if err := os.Chmod(filepath.Join(dir, "srv/tool"), 0o755|fs.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	for _, keep := range []bool{false, true} {
		opts := []collector.Option{collector.WithRoot(newRoot(t, dir)), collector.WithAdd("/srv/tool", "")}
		if keep {
			opts = append(opts, collector.WithKeepSetuid())
		}
		plan := collect(t, []string{"/usr/bin/greeter"}, opts...)
		wantSetuid := fs.FileMode(0)
		if keep {
			wantSetuid = fs.ModeSetuid
		}
		if m := mustEntry(t, plan, "/usr/bin/greeter").Mode; m != 0o755|wantSetuid {
			t.Errorf("keep=%v: greeter planned as %v", keep, m)
		}
		if _, ok := warnedAbout(plan, collector.WarnDropped, "/usr/bin/greeter"); ok == keep {
			t.Errorf("keep=%v, warnings:\n%s", keep, warningText(plan.Warnings))
		}
		// A generated /tmp, to check the sticky bit on disk.
		plan.Entries = append(plan.Entries, collector.Entry{Path: "/tmp", Kind: collector.Dir, Mode: fs.ModeDir | fs.ModeSticky | 0o777})
		sortPlan(plan)
		when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		out := filepath.Join(t.TempDir(), "rootfs")
		if err := collector.WriteDir(plan, out, collector.WithTime(when)); err != nil {
			t.Fatal(err)
		}
		for p, want := range map[string]fs.FileMode{
			"usr/bin/greeter": 0o755 | wantSetuid,
			"srv/tool":        0o755, // setgid when kept, below
			"tmp":             fs.ModeDir | fs.ModeSticky | 0o777,
			"usr":             fs.ModeDir | 0o755,
			".":               fs.ModeDir | 0o755,
		} {
			if keep && p == "srv/tool" {
				want = 0o755 | fs.ModeSetgid
			}
			st, err := os.Lstat(filepath.Join(out, p))
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode() != want {
				t.Errorf("keep=%v: %s has mode %v, want %v", keep, p, st.Mode(), want)
			}
			if !st.ModTime().Equal(when) {
				t.Errorf("%s: mtime %v, want %v", p, st.ModTime(), when)
			}
		}
		st, _ := os.Lstat(filepath.Join(out, "lib64"))
		if !st.ModTime().Equal(when) {
			t.Errorf("symlink lib64: mtime %v, want %v", st.ModTime(), when)
		}
	}
}

// sortPlan sorts entries after a test changed them.
func sortPlan(plan *collector.Plan) {
	es := plan.Entries
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].Path < es[j-1].Path; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// WriteDir refuses a directory that is not empty unless forced, and
// leaves nothing behind when it fails.
func TestWriteDirOutput(t *testing.T) {
	dir := miniRoot(t)
	plan := collect(t, []string{"/usr/bin/greeter"}, collector.WithRoot(newRoot(t, dir)))
	parent := t.TempDir()
	out := filepath.Join(parent, "rootfs")
	mkfile(t, out, "old", "old\n", 0o644)
	if err := collector.WriteDir(plan, out); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("WriteDir into a non-empty directory: %v", err)
	}
	if err := collector.WriteDir(plan, out, collector.WithForce()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(out, "old")); err == nil {
		t.Errorf("old content survived WithForce")
	}
	if _, err := os.Lstat(filepath.Join(out, "usr/bin/greeter")); err != nil {
		t.Errorf("new content missing: %v", err)
	}
	// An empty directory is fine without force.
	empty := filepath.Join(parent, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := collector.WriteDir(plan, empty); err != nil {
		t.Errorf("WriteDir into an empty directory: %v", err)
	}

	// A source that vanished after planning: an error, and nothing left.
	if err := os.Remove(filepath.Join(dir, "usr/lib/x86_64-linux-gnu/libgreet.so.1.2.3")); err != nil {
		t.Fatal(err)
	}
	failed := filepath.Join(parent, "failed")
	if err := collector.WriteDir(plan, failed); err == nil {
		t.Fatalf("WriteDir with a missing source: no error")
	} else {
		t.Logf("missing source: %v", err)
	}
	list, _ := os.ReadDir(parent)
	var names []string
	for _, de := range list {
		names = append(names, de.Name())
	}
	if strings.Join(names, " ") != "empty rootfs" {
		t.Errorf("after a failed write the parent holds %q, want only empty and rootfs", names)
	}
	if err := collector.WriteDir(plan, filepath.Join(out, "usr/bin/greeter")); err == nil {
		t.Errorf("WriteDir onto a file: no error")
	}
}

// A plan that would write through a symlink, or is not sorted, is
// refused before anything is written.
func TestWriteDirChecksPlan(t *testing.T) {
	bad := map[string][]collector.Entry{
		"through a symlink": {
			{Path: "/a", Kind: collector.Symlink, Target: "/"},
			{Path: "/a/x", Kind: collector.File, Data: []byte("x"), Mode: 0o644},
		},
		"unsorted": {
			{Path: "/b", Kind: collector.Dir, Mode: fs.ModeDir | 0o755},
			{Path: "/a", Kind: collector.Dir, Mode: fs.ModeDir | 0o755},
		},
		"not clean": {{Path: "/a/../b", Kind: collector.Dir, Mode: fs.ModeDir | 0o755}},
		"no parent": {{Path: "/a/b", Kind: collector.Dir, Mode: fs.ModeDir | 0o755}},
		"hard link to nothing": {
			{Path: "/a", Kind: collector.Hardlink, Target: "/b"},
		},
	}
	for name, entries := range bad {
		out := filepath.Join(t.TempDir(), "rootfs")
		err := collector.WriteDir(&collector.Plan{Entries: entries}, out)
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		if _, serr := os.Lstat(out); serr == nil {
			t.Errorf("%s: %s was written", name, out)
		}
	}
}
