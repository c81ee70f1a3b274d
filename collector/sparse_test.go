package collector_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fromscratch/fromscratch/collector"
)

// sparseFile makes a 2 GiB file at p that is holes but for 1 MiB of data
// at its start, its middle and its end.
func sparseFile(t testing.TB, p string) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const size = 2 << 30
	chunk := bytes.Repeat([]byte("sparse!\n"), 1<<17) // 1 MiB
	for _, off := range []int64{0, size / 2, size - int64(len(chunk))} {
		if _, err := f.WriteAt(chunk, off); err != nil {
			t.Fatal(err)
		}
	}
}

// blocks is the st_blocks (512-byte units) of p.
func blocks(t testing.TB, p string) int64 {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Blocks
}

// dataRanges lists the [start, end) ranges that SEEK_DATA and SEEK_HOLE
// report in f: everything else reads as zeros.
func dataRanges(t testing.TB, f *os.File, size int64) [][2]int64 {
	t.Helper()
	var r [][2]int64
	for off := int64(0); off < size; {
		data, err := unix.Seek(int(f.Fd()), off, unix.SEEK_DATA)
		if err == unix.ENXIO {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		hole, err := unix.Seek(int(f.Fd()), data, unix.SEEK_HOLE)
		if err != nil {
			t.Fatal(err)
		}
		r = append(r, [2]int64{data, hole})
		off = hole
	}
	return r
}

// sameContent compares two files of the same size over the data ranges
// of either: outside them both read as zeros.
func sameContent(t testing.TB, a, b string) bool {
	t.Helper()
	fa, err := os.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	sa, _ := fa.Stat()
	sb, _ := fb.Stat()
	if sa.Size() != sb.Size() {
		return false
	}
	ba, bb := make([]byte, 1<<20), make([]byte, 1<<20)
	for _, r := range append(dataRanges(t, fa, sa.Size()), dataRanges(t, fb, sb.Size())...) {
		for off := r[0]; off < r[1]; off += int64(len(ba)) {
			n := int(min(int64(len(ba)), r[1]-off))
			if _, err := fa.ReadAt(ba[:n], off); err != nil {
				t.Fatal(err)
			}
			if _, err := fb.ReadAt(bb[:n], off); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ba[:n], bb[:n]) {
				return false
			}
		}
	}
	return true
}

// A 2 GiB sparse file is written into the rootfs with its holes: the copy
// has no more allocated blocks than the source (3 MiB of data, not 2 GiB)
// and the same bytes.
func TestWriteDirKeepsHoles(t *testing.T) {
	src := t.TempDir()
	sparseFile(t, filepath.Join(src, "big"))
	if b := blocks(t, filepath.Join(src, "big")); b > 64<<10 {
		t.Skipf("the test file system does not keep holes (%d blocks)", b)
	}
	st, err := os.Stat(filepath.Join(src, "big"))
	if err != nil {
		t.Fatal(err)
	}
	plan := &collector.Plan{Root: newRoot(t, src), Entries: []collector.Entry{
		{Path: "/", Kind: collector.Dir, Mode: fs.ModeDir | 0o755},
		{Path: "/big", Kind: collector.File, Source: "/big", Mode: 0o644, Size: st.Size()},
	}}
	out := writeRootfs(t, plan)
	got, want := blocks(t, filepath.Join(out, "big")), blocks(t, filepath.Join(src, "big"))
	if got > want {
		t.Errorf("the copy has %d blocks allocated, the source %d: holes were filled", got, want)
	}
	if !sameContent(t, filepath.Join(src, "big"), filepath.Join(out, "big")) {
		t.Errorf("the copy differs from the source")
	}
}
