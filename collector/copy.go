package collector

import (
	"context"
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// copyChunk bounds one copy_file_range call, so that a large file is
// copied in steps between which a cancelled context is seen.
const copyChunk = 64 << 20

// copySparse copies the first size bytes of src into the new, empty dst,
// keeping src's holes as holes: only the data ranges that SEEK_DATA and
// SEEK_HOLE report are copied (copy_file_range, or pread/pwrite where the
// file systems do not allow it), and dst is extended to size at the end.
// A file system without SEEK_DATA reports the whole file as data. It
// stops with ctx's error between chunks.
func copySparse(ctx context.Context, dst, src *os.File, size int64, buf *[]byte) error {
	sfd, dfd := int(src.Fd()), int(dst.Fd())
	for off := int64(0); off < size; {
		data, err := unix.Seek(sfd, off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			break // a hole up to the end
		}
		if err != nil {
			data = off // no SEEK_DATA here: all data
		}
		hole, err := unix.Seek(sfd, data, unix.SEEK_HOLE)
		if err != nil || hole > size {
			hole = size
		}
		if err := copyRange(ctx, dfd, sfd, data, hole, buf); err != nil {
			return err
		}
		off = hole
	}
	return dst.Truncate(size)
}

// copyRange copies the bytes [from, to) of sfd to the same offsets of dfd.
func copyRange(ctx context.Context, dfd, sfd int, from, to int64, buf *[]byte) error {
	for off := from; off < to; {
		if err := ctx.Err(); err != nil {
			return err
		}
		roff, woff := off, off
		n, err := unix.CopyFileRange(sfd, &roff, dfd, &woff, int(min(to-off, copyChunk)), 0)
		switch {
		case err == nil && n > 0:
			off += int64(n)
			continue
		case err == nil:
			return io.ErrUnexpectedEOF // the file shrank
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EXDEV), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EINVAL),
			errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EPERM):
			// Across file systems on older kernels, or a file system
			// without it: read and write.
			return preadCopy(ctx, dfd, sfd, off, to, buf)
		default:
			return err
		}
	}
	return nil
}

// preadCopy copies [from, to) of sfd to dfd with pread and pwrite.
func preadCopy(ctx context.Context, dfd, sfd int, from, to int64, buf *[]byte) error {
	if *buf == nil {
		*buf = make([]byte, 256<<10)
	}
	b := *buf
	for off := from; off < to; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := unix.Pread(sfd, b[:min(int64(len(b)), to-off)], off)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return io.ErrUnexpectedEOF
		}
		for w := 0; w < n; {
			m, err := unix.Pwrite(dfd, b[w:n], off+int64(w))
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil {
				return err
			}
			w += m
		}
		off += int64(n)
	}
	return nil
}
