package image

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/elfscan"
)

// A sparse source file is in the layer byte for byte, its holes as zeros
// (written without reading them), whether it starts, ends or is cut in
// the middle of a block by a hole.
func TestWriteTarSparseSource(t *testing.T) {
	rootDir := t.TempDir()
	p := filepath.Join(rootDir, "sparse")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	const size = 8<<20 + 12345
	want := make([]byte, size)
	chunk := bytes.Repeat([]byte("data!\n"), 1<<16)
	for _, off := range []int64{1 << 20, 4<<20 + 100, 7 << 20} {
		if _, err := f.WriteAt(chunk, off); err != nil {
			t.Fatal(err)
		}
		copy(want[off:], chunk)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	root, err := elfscan.NewRoot(rootDir)
	if err != nil {
		t.Fatal(err)
	}
	plan := newPlan(collector.Entry{Path: "/sparse", Kind: collector.File, Source: "/sparse", Mode: 0o644, Size: size})
	plan.Root = root
	var buf bytes.Buffer
	if err := WriteTar(plan, &buf); err != nil {
		t.Fatal(err)
	}
	hdrs, content := readTar(t, &buf)
	if len(hdrs) != 1 || hdrs[0].Size != size || content["sparse"] != string(want) {
		t.Errorf("the layer's copy of a sparse file differs from it (%d headers, size %d)", len(hdrs), len(content["sparse"]))
	}
}
