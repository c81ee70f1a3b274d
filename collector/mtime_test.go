package collector_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/collector"
)

// mtimeRoot is a tree of the host to add at /data: old (an old time with
// nanoseconds), its hard link oldlink, fresh (written now) and a symlink.
func mtimeRoot(t *testing.T, old time.Time) string {
	t.Helper()
	src := t.TempDir()
	mkfile(t, src, "old", "old\n", 0o644)
	mkfile(t, src, "fresh", "fresh\n", 0o644)
	if err := os.Link(filepath.Join(src, "old"), filepath.Join(src, "oldlink")); err != nil {
		t.Fatal(err)
	}
	mklink(t, src, "link", "old")
	if err := os.Chtimes(filepath.Join(src, "old"), old, old); err != nil {
		t.Fatal(err)
	}
	return src
}

// The plan records a source file's time; WriteDir clamps every time to
// the epoch, as `tar --clamp-mtime` does: an older file keeps its time (in
// whole seconds), everything else, and every entry without a time of its
// own (generated files, directories, symlinks), gets the epoch.
func TestWriteDirClampsTimes(t *testing.T) {
	old := time.Date(2001, 2, 3, 4, 5, 6, 789, time.UTC)
	src := mtimeRoot(t, old)
	plan := collect(t, []string{"/usr/bin/true"}, collector.WithAdd(src, "/data"))
	plan.Entries = append(plan.Entries, collector.Entry{Path: "/data/generated", Kind: collector.File, Mode: 0o644, Data: []byte("gen\n")})
	sortPlan(plan)
	if e := mustEntry(t, plan, "/data/old"); !e.ModTime.Equal(old) {
		t.Errorf("/data/old planned with time %v, want %v", e.ModTime, old)
	}
	if e := mustEntry(t, plan, "/usr/bin/true"); e.ModTime.IsZero() {
		t.Errorf("/usr/bin/true planned without a time")
	}
	for _, p := range []string{"/data", "/data/link", "/data/generated"} {
		if e := mustEntry(t, plan, p); !e.ModTime.IsZero() {
			t.Errorf("%s (%s) planned with a time %v", p, e.Kind, e.ModTime)
		}
	}
	if e := mustEntry(t, plan, "/data/oldlink"); e.Kind != collector.Hardlink {
		t.Errorf("/data/oldlink is a %s, want a hard link", e.Kind)
	}

	oldSec := old.Truncate(time.Second)
	for _, tc := range []struct {
		name     string
		epoch    time.Time
		old, now time.Time // the times of old (and oldlink), and of what is newer than the epoch
	}{
		{"later epoch", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), oldSec, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"earlier epoch", time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"default epoch 0", time.Time{}, time.Unix(0, 0), time.Unix(0, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "rootfs")
			var opts []collector.WriteOption
			if !tc.epoch.IsZero() {
				opts = append(opts, collector.WithTime(tc.epoch))
			}
			if err := collector.WriteDir(plan, out, opts...); err != nil {
				t.Fatal(err)
			}
			for p, want := range map[string]time.Time{
				"data/old":       tc.old,
				"data/oldlink":   tc.old,
				"data/fresh":     tc.now,
				"data/generated": tc.now,
				"data/link":      tc.now,
				"data":           tc.now,
				"usr/bin/true":   tc.now, // older than 2020, but not than 1999
				"usr/bin":        tc.now,
				".":              tc.now,
				"etc/passwd":     tc.now,
				"lib64":          tc.now,
				"usr/lib64":      tc.now,
			} {
				if mt := mustEntry(t, plan, "/usr/bin/true").ModTime; p == "usr/bin/true" && mt.Before(tc.epoch) {
					want = mt.Truncate(time.Second) // the host's, older than the epoch
				}
				st, err := os.Lstat(filepath.Join(out, p))
				if os.IsNotExist(err) && (p == "etc/passwd" || p == "lib64" || p == "usr/lib64") {
					continue // not every host root has them
				}
				if err != nil {
					t.Fatal(err)
				}
				if !st.ModTime().Equal(want) {
					t.Errorf("%s: mtime %v, want %v", p, st.ModTime().UTC(), want.UTC())
				}
				if e := plan.Lookup("/" + p); e != nil && p != "." && !st.ModTime().Equal(e.ClampedTime(epochOr0(tc.epoch))) {
					t.Errorf("%s: mtime %v, ClampedTime says %v", p, st.ModTime().UTC(), e.ClampedTime(epochOr0(tc.epoch)))
				}
			}
		})
	}
}

func epochOr0(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0)
	}
	return t
}

func TestClampedTime(t *testing.T) {
	epoch := time.Unix(1_600_000_000, 0)
	for _, tc := range []struct {
		e    collector.Entry
		want time.Time
	}{
		{collector.Entry{Kind: collector.File, ModTime: time.Unix(1_500_000_000, 999_999_999)}, time.Unix(1_500_000_000, 0)},
		{collector.Entry{Kind: collector.File, ModTime: time.Unix(1_700_000_000, 0)}, epoch},
		{collector.Entry{Kind: collector.File, ModTime: epoch}, epoch},
		{collector.Entry{Kind: collector.File, Data: []byte("x")}, epoch},
		{collector.Entry{Kind: collector.Dir}, epoch},
		{collector.Entry{Kind: collector.Symlink, Target: "x"}, epoch},
	} {
		if got := tc.e.ClampedTime(epoch); !got.Equal(tc.want) {
			t.Errorf("%+v: ClampedTime %v, want %v", tc.e, got, tc.want)
		}
	}
	if got := (&collector.Entry{ModTime: time.Unix(1_500_000_000, 0)}).ClampedTime(time.Unix(0, 0)); !got.Equal(time.Unix(0, 0)) {
		t.Errorf("epoch 0: %v, want 0", got)
	}
}
