package image

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
)

// refNameAnnotation names an image in an OCI layout's index.json (skopeo's
// oci:DIR:TAG, umoci's DIR:TAG).
const refNameAnnotation = "org.opencontainers.image.ref.name"

// OCILayout is the OCI image layout directory dir, with the image named
// tag (its org.opencontainers.image.ref.name) if tag is not empty.
//
// A new layout (dir missing or empty) is written whole in a temporary
// directory beside dir and renamed to it.
//
// An existing layout is added to: the image replaces the one of the same
// tag, or without a tag is added unless already there. Its blobs are
// written whole in a temporary directory beside dir, then moved into dir
// by renames (each appears whole, unreferenced by anything yet); last, a
// new index.json, made from the current one under an flock(2) of dir, is
// renamed over the old. Until that rename readers see the layout as it
// was; a failure before it leaves at most unreferenced blobs, which
// change nothing (layout.GarbageCollect removes them). fromscratch runs
// writing one layout at once lose none of each other's images (other
// tools do not take the lock).
func OCILayout(dir, tag string) Output {
	return &layoutOutput{dir: dir, tag: tag}
}

type layoutOutput struct {
	dir, tag string
}

func (o *layoutOutput) String() string { return "OCI layout " + o.dir }

// refName is the grammar of org.opencontainers.image.ref.name in the
// OCI image layout specification: what skopeo and umoci accept as a tag.
var refName = lazyRegexp(`^[A-Za-z0-9]+(([-._:@+]|--)[A-Za-z0-9]+)*(/[A-Za-z0-9]+(([-._:@+]|--)[A-Za-z0-9]+)*)*$`)

func (o *layoutOutput) check() error {
	if o.tag != "" && !refName().MatchString(o.tag) {
		return fmt.Errorf("%s: bad tag %q: not an OCI reference name (letters, digits and . _ - : @ + /)", o, o.tag)
	}
	return nil
}

func (o *layoutOutput) stage(ctx context.Context, img v1.Image) (*staged, error) {
	return o.stageWith(func(p layout.Path) error { return p.WriteImage(withContext(ctx, img)) },
		func(p layout.Path) error { return o.index(p, img) })
}

// stageWith writes the blobs of an image or index with write into a new
// temporary layout; its commit adds it to dir's index.json with add.
func (o *layoutOutput) stageWith(write, add func(layout.Path) error) (*staged, error) {
	if _, err := o.exists(); err != nil {
		return nil, fmt.Errorf("%s: %w", o, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(o.dir), "."+filepath.Base(o.dir)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("%s: cannot write in %s: %w", o, filepath.Dir(o.dir), unwrapPathError(err))
	}
	abort := func() { os.RemoveAll(tmp) }
	p, err := layout.Write(tmp, empty.Index)
	if err == nil {
		err = write(p)
	}
	if err == nil {
		err = chmodFiles(tmp)
	}
	if err != nil {
		abort()
		return nil, fmt.Errorf("%s: %w", o, unwrapPathError(err))
	}
	commit := func() error {
		err := o.create(p, add)
		if errors.Is(err, syscall.EEXIST) || errors.Is(err, syscall.ENOTEMPTY) {
			err = o.merge(p, add) // a layout already, or made one since
		}
		if err != nil {
			abort()
			return fmt.Errorf("%s: %w", o, err)
		}
		return nil
	}
	return &staged{commit: commit, abort: abort}, nil
}

// errNotLayout is the error for a directory that is neither empty nor an
// OCI layout.
var errNotLayout = errors.New("exists and is not an OCI layout (no index.json)")

// exists tells whether dir is an OCI layout to add to, or nothing (or an
// empty directory) to create one in.
func (o *layoutOutput) exists() (bool, error) {
	entries, err := os.ReadDir(o.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, unwrapPathError(err)
	case len(entries) == 0:
		return false, nil
	}
	if err := checkRegularTree(o.dir); err != nil {
		return false, err
	}
	if _, err := layout.FromPath(o.dir); err != nil {
		return false, errNotLayout
	}
	return true, nil
}

// create makes dir the temporary layout p with the image indexed (add), if dir
// is missing or empty; it fails with EEXIST or ENOTEMPTY if dir is a
// layout, or became one since stage.
func (o *layoutOutput) create(p layout.Path, add func(layout.Path) error) error {
	exists, err := o.exists()
	if err != nil {
		return err
	}
	if exists {
		return syscall.EEXIST
	}
	if err := add(p); err != nil {
		return err
	}
	if err := os.Chmod(string(p), 0o777&^umask()); err != nil {
		return err
	}
	// rename(2) replaces an empty directory and fails on a full one (Go's
	// os.Rename refuses any directory).
	return syscall.Rename(string(p), o.dir)
}

// merge moves the blobs of the temporary layout p into dir, then replaces
// dir's index.json with its own plus the image (add).
func (o *layoutOutput) merge(p layout.Path, add func(layout.Path) error) error {
	unlock, err := lock(o.dir)
	if err != nil {
		return err
	}
	defer unlock()
	index, err := readRegular(filepath.Join(o.dir, "index.json"))
	if err != nil {
		return fmt.Errorf("%w: %w", errNotLayout, err)
	}
	if err := p.WriteFile("index.json", index, 0o644); err != nil {
		return err
	}
	if err := add(p); err != nil {
		return err
	}
	if err := moveBlobs(string(p), o.dir); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(string(p), "index.json"), filepath.Join(o.dir, "index.json")); err != nil {
		return unwrapLinkError(err)
	}
	return os.RemoveAll(string(p))
}

// index adds img to p's index.json: in place of the image of the same
// tag, or if it is not there yet; then its referrers (WithSBOM), each once. Its blobs are in p already, so layout
// only writes index.json.
func (o *layoutOutput) index(p layout.Path, img v1.Image) error {
	if err := o.indexImage(p, img); err != nil {
		return err
	}
	return writeLayoutReferrers(p, img)
}

func (o *layoutOutput) indexImage(p layout.Path, img v1.Image) error {
	opts, err := referrerIndexOptions(img)
	if err != nil {
		return err
	}
	if o.tag != "" {
		return p.ReplaceImage(img, match.Annotation(refNameAnnotation, o.tag),
			append(opts, layout.WithAnnotations(map[string]string{refNameAnnotation: o.tag}))...)
	}
	return appendOnce(p, img, opts...)
}

// moveBlobs renames every blob of the layout from into the layout to. A
// blob already there has the same content: the rename replaces it whole.
func moveBlobs(from, to string) error {
	root := filepath.Join(from, "blobs")
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return unwrapPathError(err)
		}
		return unwrapLinkError(os.Rename(path, dst))
	})
}

// chmodFiles gives every file of the layout at dir the mode a file made
// by open(2) with 0666 has (the umask applies): layout writes a blob of
// unknown digest, the layer, through os.CreateTemp (0600: another user's
// skopeo cannot read the layout) and index.json and oci-layout with 0777.
func chmodFiles(dir string) error {
	perm := 0o666 &^ umask()
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		return unwrapPathError(os.Chmod(path, perm))
	})
}

// lock takes an exclusive flock(2) on the directory dir.
func lock(dir string) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock: %w", err)
	}
	return func() { f.Close() }, nil
}
