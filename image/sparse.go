package image

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// archive/tar cannot write sparse entries (it drops GNU.sparse records,
// golang.org/issue/22735), so a sparse file's holes are in the layer as
// zeros. They are written from a buffer of zeros rather than read: the
// kernel neither zero-fills nor caches gigabytes of page cache for them.

// zeros is written for holes; never written to.
var zeros [256 << 10]byte

// copyHoles copies the first size bytes of f to w, reading only the data
// ranges that SEEK_DATA and SEEK_HOLE report and writing zeros for the
// holes. A file system without SEEK_DATA is read whole. It returns the
// bytes written, fewer than size if f shrank.
func copyHoles(w io.Writer, f *os.File, size int64, buf []byte) (int64, error) {
	fd := int(f.Fd())
	var n int64
	for n < size {
		data, err := unix.Seek(fd, n, unix.SEEK_DATA)
		switch {
		case errors.Is(err, unix.ENXIO):
			data = size // a hole to the end
		case err != nil:
			data = n // no SEEK_DATA: read it all
		}
		data = min(data, size)
		for n < data { // the hole before data
			m, err := w.Write(zeros[:min(int64(len(zeros)), data-n)])
			n += int64(m)
			if err != nil {
				return n, err
			}
		}
		if n >= size {
			break
		}
		hole, err := unix.Seek(fd, data, unix.SEEK_HOLE)
		if err != nil || hole > size {
			hole = size
		}
		m, err := io.CopyBuffer(w, io.NewSectionReader(f, data, hole-data), buf)
		n += m
		if err != nil {
			return n, err
		}
		if m < hole-data {
			return n, nil // shrank
		}
	}
	return n, nil
}
