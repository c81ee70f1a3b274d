package image

import (
	"archive/tar"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/fromscratch/fromscratch/collector"
)

// WithLeftOut calls f, while Build runs, with each file, symlink and hard
// link of the plan that Build leaves out because the base image has it
// already: the same kind, content (or link target), mode and owner (0:0).
// Times do not count: the base's copy serves as well.
func WithLeftOut(f func(collector.Entry)) Option {
	return buildOption(func(o *buildOptions) { o.leftOut = f })
}

// LeaveOut returns plan without what base has already, as Build on base
// writes it (see WithLeftOut), and the files and links it left out.
func LeaveOut(plan *collector.Plan, base v1.Image) (*collector.Plan, []collector.Entry, error) {
	if err := plan.Check(); err != nil {
		return nil, nil, fmt.Errorf("layer: %w", err)
	}
	var left []collector.Entry
	kept, err := leaveOutBase(plan, base, func(e collector.Entry) { left = append(left, e) })
	if err != nil {
		return nil, nil, err
	}
	return kept, left, nil
}

// baseEntry is what a base image has at a path, after all its layers.
type baseEntry struct {
	typeflag byte
	mode     int64 // permission, setuid, setgid and sticky bits
	uid, gid int
	size     int64
	sum      [sha256.Size]byte // of a regular file's content
	linkname string            // a symlink's target
}

// leaveOutBase returns plan without the entries that the base has
// already (see WithLeftOut), calling leftOut, if not nil, with each file
// and link left out. A directory is left out when the base has it the
// same and nothing below it stays; every hard link that stays keeps its
// file, so the layer remains a valid tar alone.
func leaveOutBase(plan *collector.Plan, base v1.Image, leftOut func(collector.Entry)) (*collector.Plan, error) {
	wanted := make(map[string]bool, len(plan.Entries))
	for _, e := range plan.Entries {
		wanted[strings.TrimPrefix(e.Path, "/")] = true
	}
	have, err := baseFiles(base, wanted)
	if err != nil {
		return nil, fmt.Errorf("image: base: %w", err)
	}
	drop := make([]bool, len(plan.Entries))
	for i := range plan.Entries {
		e := &plan.Entries[i]
		b, ok := have[strings.TrimPrefix(e.Path, "/")]
		if !ok || e.Kind == collector.Dir || b.uid != 0 || b.gid != 0 {
			continue
		}
		switch e.Kind {
		case collector.Symlink:
			drop[i] = b.typeflag == tar.TypeSymlink && b.linkname == e.Target
		case collector.File, collector.Hardlink:
			f := e
			if e.Kind == collector.Hardlink {
				f = plan.Lookup(e.Target)
			}
			if b.typeflag != tar.TypeReg || b.mode != int64(f.UnixMode()) {
				continue
			}
			sum, size, err := contentSum(plan, f)
			if err != nil {
				return nil, fmt.Errorf("layer: %s: %w", f.Path, err)
			}
			drop[i] = size == b.size && sum == b.sum
		}
	}
	// A hard link that stays needs its file in the same layer.
	index := make(map[string]int, len(plan.Entries))
	for i, e := range plan.Entries {
		index[e.Path] = i
	}
	for i, e := range plan.Entries {
		if e.Kind == collector.Hardlink && !drop[i] {
			drop[index[e.Target]] = false
		}
	}
	// Directories, deepest first: left out when the base has the same and
	// nothing below stays.
	keepDir := map[string]bool{}
	for i := len(plan.Entries) - 1; i >= 0; i-- {
		e := &plan.Entries[i]
		if e.Kind == collector.Dir {
			b, ok := have[strings.TrimPrefix(e.Path, "/")]
			same := ok && b.typeflag == tar.TypeDir && b.mode == int64(e.UnixMode()) && b.uid == 0 && b.gid == 0
			drop[i] = same && !keepDir[e.Path] && e.Path != "/"
		}
		if !drop[i] {
			keepDir[path.Dir(e.Path)] = true
		}
	}
	kept := make([]collector.Entry, 0, len(plan.Entries))
	for i, e := range plan.Entries {
		switch {
		case !drop[i]:
			kept = append(kept, e)
		case e.Kind != collector.Dir && leftOut != nil:
			leftOut(e)
		}
	}
	p := *plan
	p.Entries = kept
	return &p, nil
}

// contentSum is the sha256 and size of a File entry's content.
func contentSum(plan *collector.Plan, e *collector.Entry) ([sha256.Size]byte, int64, error) {
	var sum [sha256.Size]byte
	rc, err := plan.Open(e)
	if err != nil {
		return sum, 0, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return sum, 0, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, n, nil
}

// baseFiles reads the tar headers of the base's layers, bottom up, as a
// runtime stacks them (whiteouts and opaque directories remove what lower
// layers had), and returns the entries at the paths of wanted (clean,
// without a leading "/"), hashing only their content.
func baseFiles(base v1.Image, wanted map[string]bool) (map[string]baseEntry, error) {
	layers, err := base.Layers()
	if err != nil {
		return nil, err
	}
	have := map[string]baseEntry{}
	for i, l := range layers {
		if err := readBaseLayer(l, wanted, have); err != nil {
			return nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
	}
	return have, nil
}

func readBaseLayer(l v1.Layer, wanted map[string]bool, have map[string]baseEntry) error {
	rc, err := l.Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		dir, base := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		switch {
		case base == ".wh..wh..opq":
			removeBelow(have, dir, false)
			continue
		case strings.HasPrefix(base, ".wh."):
			removeBelow(have, path.Join(dir, strings.TrimPrefix(base, ".wh.")), true)
			continue
		}
		if !wanted[name] {
			// Another kind of entry at a wanted path's parent would hide
			// it: a file over a directory removes what is below.
			if hdr.Typeflag != tar.TypeDir {
				removeBelow(have, name, false)
			}
			continue
		}
		if hdr.Typeflag != tar.TypeDir {
			removeBelow(have, name, false)
		}
		b := baseEntry{typeflag: hdr.Typeflag, mode: hdr.Mode & 0o7777, uid: hdr.Uid, gid: hdr.Gid, size: hdr.Size, linkname: hdr.Linkname}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			b.typeflag = tar.TypeReg
			h := sha256.New()
			if _, err := io.Copy(h, tr); err != nil {
				return fmt.Errorf("%s: %w", hdr.Name, err)
			}
			copy(b.sum[:], h.Sum(nil))
		case tar.TypeLink:
			// The same content as the file it links to, when that is
			// known (a wanted path of this layer or a lower one).
			t, ok := have[strings.TrimPrefix(path.Clean("/"+hdr.Linkname), "/")]
			if !ok || t.typeflag != tar.TypeReg {
				delete(have, name)
				continue
			}
			b.typeflag, b.size, b.sum, b.linkname = tar.TypeReg, t.size, t.sum, ""
		}
		have[name] = b
	}
}

// removeBelow forgets what is below dir (and dir itself, if self).
func removeBelow(have map[string]baseEntry, dir string, self bool) {
	if self {
		delete(have, dir)
	}
	prefix := dir + "/"
	if dir == "" {
		prefix = ""
	}
	for p := range have {
		if strings.HasPrefix(p, prefix) && p != dir {
			delete(have, p)
		}
	}
}
