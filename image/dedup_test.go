package image

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
)

// TestLeaveOutBase: a file, link or directory the base has the same is
// not in the new layer; one with another mode or content is; a hard link
// that stays keeps its file.
func TestLeaveOutBase(t *testing.T) {
	base := must(Build(sorted(
		dir("/lib"),
		file("/lib/libc.so.6", "libc", 0o755),
		file("/lib/libm.so.6", "libm", 0o644),
		file("/lib/libz.so.1", "zlib", 0o644),
		file("/lib/linked", "same", 0o644),
		symlink("/lib/libc.so", "libc.so.6"),
		dir("/lib/empty"),
	)))
	plan := sorted(
		dir("/bin"),
		file("/bin/prog", "x", 0o755),
		dir("/lib"),
		file("/lib/libc.so.6", "libc", 0o755),  // the same: left out
		file("/lib/libm.so.6", "libm", 0o755),  // another mode
		file("/lib/libz.so.1", "zlib2", 0o644), // another content
		file("/lib/linked", "same", 0o644),     // the same, but linked to below
		hardlink("/lib/linked2", "/lib/linked"),
		symlink("/lib/libc.so", "libc.so.6"), // the same: left out
		dir("/lib/empty"),                    // the same, empty: left out
	)
	var left []string
	img := must(Build(plan, WithBase(base), WithLeftOut(func(e collector.Entry) { left = append(left, e.Path) })))
	layers := must(img.Layers())
	if len(layers) != 2 {
		t.Fatalf("%d layers, want 2", len(layers))
	}
	hdrs, _ := readTar(t, must(layers[1].Uncompressed()))
	var names []string
	for _, h := range hdrs {
		names = append(names, h.Name)
	}
	want := []string{"bin/", "bin/prog", "lib/", "lib/libm.so.6", "lib/libz.so.1", "lib/linked", "lib/linked2"}
	if !slices.Equal(names, want) {
		t.Errorf("new layer %v, want %v", names, want)
	}
	if fmt.Sprint(left) != "[/lib/libc.so /lib/libc.so.6]" {
		t.Errorf("left out %v", left)
	}
}

// sorted is newPlan of entries in any order.
func sorted(entries ...collector.Entry) *collector.Plan {
	slices.SortFunc(entries, func(a, b collector.Entry) int { return strings.Compare(a.Path, b.Path) })
	return newPlan(entries...)
}
