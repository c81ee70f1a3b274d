package image

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/fromscratch/fromscratch/collector"
)

// WriteTar writes the plan to w as an uncompressed tar stream: the bytes
// whose sha256 is the layer's diff ID. Only WithTime among the options
// changes it.
func WriteTar(plan *collector.Plan, w io.Writer, opts ...LayerOption) error {
	o := makeLayerOptions(opts)
	return writeTar(plan, w, o.mtime)
}

// writeTar checks the plan (Plan.Check), then writes its entries in plan order. Every
// header has owner 0:0 with no user or group name, the entry's time
// clamped to mtime (Entry.ClampedTime, as WriteDir does; a hard link has
// its file's) and no atime or ctime; the tar format is USTAR unless a header needs PAX (long
// names, files over 8 GiB).
func writeTar(plan *collector.Plan, w io.Writer, mtime time.Time) error {
	if err := plan.Check(); err != nil {
		return fmt.Errorf("layer: %w", err)
	}
	tw := tar.NewWriter(w)
	buf := make([]byte, 256<<10)
	for i := range plan.Entries {
		e := &plan.Entries[i]
		if e.Path == "/" {
			continue // the layer's root is the image's, not an entry
		}
		name := strings.TrimPrefix(e.Path, "/")
		hdr := &tar.Header{Name: name, ModTime: e.ClampedTime(mtime), Mode: int64(e.UnixMode())}
		var data *collector.Entry // the file whose bytes follow the header
		switch e.Kind {
		case collector.Dir:
			hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
		case collector.Symlink:
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, e.Target
			if hdr.Mode == 0 {
				hdr.Mode = 0o777
			}
		case collector.File:
			hdr.Typeflag, data = tar.TypeReg, e
		case collector.Hardlink:
			// Plan.Check guarantees the target is a File written before.
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, strings.TrimPrefix(e.Target, "/")
			// Its header's time is the file's too: extracting it sets
			// the one inode's time.
			t := plan.Lookup(e.Target)
			hdr.Mode, hdr.ModTime = int64(t.UnixMode()), t.ClampedTime(mtime)
		}
		if err := writeEntry(plan, tw, hdr, data, buf); err != nil {
			return fmt.Errorf("layer: %s: %w", e.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("layer: %w", err)
	}
	return nil
}

// writeEntry writes hdr and, for a regular file, the content of data.
func writeEntry(plan *collector.Plan, tw *tar.Writer, hdr *tar.Header, data *collector.Entry, buf []byte) error {
	if data == nil {
		return tw.WriteHeader(hdr)
	}
	rc, err := plan.Open(data)
	if err != nil {
		return err
	}
	defer rc.Close()
	hdr.Size, err = contentSize(data, rc)
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	var n int64
	if f, ok := rc.(*os.File); ok {
		n, err = copyHoles(tw, f, hdr.Size, buf)
	} else {
		n, err = io.CopyBuffer(tw, io.LimitReader(rc, hdr.Size), buf)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", data.Source, err)
	}
	if n != hdr.Size {
		return fmt.Errorf("%s shrank from %d to %d bytes while being read", data.Source, hdr.Size, n)
	}
	return nil
}

// contentSize is the size of a File's content: its data's length, or for
// a source file the size of the open file, which must match the size the
// plan recorded, if any.
func contentSize(e *collector.Entry, rc io.Reader) (int64, error) {
	if e.Source == "" {
		return int64(len(e.Data)), nil
	}
	st, ok := rc.(interface{ Stat() (fs.FileInfo, error) })
	if !ok {
		return 0, fmt.Errorf("%s: cannot tell its size", e.Source)
	}
	info, err := st.Stat()
	if err != nil {
		return 0, err
	}
	if e.Size != 0 && e.Size != info.Size() {
		return 0, fmt.Errorf("%s is %d bytes, the plan says %d: it changed after planning", e.Source, info.Size(), e.Size)
	}
	return info.Size(), nil
}
