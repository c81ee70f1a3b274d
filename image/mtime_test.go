package image

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/collector"
)

// The layer clamps file times to WithTime's as WriteDir does to
// WithTime's: each header's time is the one WriteDir gives its path,
// an older file keeps its own (whole seconds), a hard link has its
// file's, and generated files, directories and symlinks get the epoch.
func TestWriteTarClampsTimes(t *testing.T) {
	old := time.Date(2001, 2, 3, 4, 5, 6, 789, time.UTC)
	src := t.TempDir()
	for _, name := range []string{"old", "fresh"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(name+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(filepath.Join(src, "old"), filepath.Join(src, "oldlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("old", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(src, "old"), old, old); err != nil {
		t.Fatal(err)
	}
	plan, err := collector.Collect([]string{"/usr/bin/true"}, collector.WithAdd(src, "/data"))
	if err != nil {
		t.Fatal(err)
	}
	plan.Entries = append(plan.Entries, collector.Entry{Path: "/data/generated", Kind: collector.File, Mode: 0o644, Data: []byte("gen\n")})
	slices.SortFunc(plan.Entries, func(a, b collector.Entry) int { return strings.Compare(a.Path, b.Path) })

	later := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	earlier := time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		epoch time.Time
		want  map[string]time.Time
	}{
		{"later epoch", later, map[string]time.Time{
			"data/old": old.Truncate(time.Second), "data/oldlink": old.Truncate(time.Second),
			"data/fresh": later, "data/generated": later, "data/link": later, "data/": later,
		}},
		{"earlier epoch", earlier, map[string]time.Time{
			"data/old": earlier, "data/oldlink": earlier,
			"data/fresh": earlier, "data/generated": earlier, "data/link": earlier, "data/": earlier,
		}},
		{"default epoch 0", time.Time{}, nil}, // every time 0
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lopts []LayerOption
			var dopts []collector.WriteOption
			if !tc.epoch.IsZero() {
				lopts = append(lopts, WithTime(tc.epoch))
				dopts = append(dopts, collector.WithTime(tc.epoch))
			}
			var buf bytes.Buffer
			if err := WriteTar(plan, &buf, lopts...); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "rootfs")
			if err := collector.WriteDir(plan, out, dopts...); err != nil {
				t.Fatal(err)
			}
			hdrs, _ := readTar(t, bytes.NewReader(buf.Bytes()))
			seen := 0
			for _, h := range hdrs {
				st, err := os.Lstat(filepath.Join(out, h.Name))
				if err != nil {
					t.Fatal(err)
				}
				if !h.ModTime.Equal(st.ModTime()) {
					t.Errorf("%s: the layer says %v, the rootfs %v", h.Name, h.ModTime.UTC(), st.ModTime().UTC())
				}
				want, ok := tc.want[h.Name]
				if tc.want == nil {
					want, ok = time.Unix(0, 0), true
				}
				if ok {
					seen++
					if !h.ModTime.Equal(want) {
						t.Errorf("%s (%c): time %v, want %v", h.Name, h.Typeflag, h.ModTime.UTC(), want.UTC())
					}
				}
				if h.Name == "data/oldlink" && h.Linkname != "data/old" {
					t.Errorf("data/oldlink: not a hard link to data/old: %c %q", h.Typeflag, h.Linkname)
				}
			}
			if tc.want != nil && seen != len(tc.want) {
				t.Errorf("%d of the %d paths checked are in the layer", seen, len(tc.want))
			}
		})
	}
}
