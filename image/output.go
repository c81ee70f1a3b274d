package image

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// An Output is a place to write an image: OCILayout, Tarball, Registry or
// DigestFile. Write writes to any number of them at once.
type Output interface {
	fmt.Stringer
	// check fails early, before anything is written, on a bad
	// reference or tag.
	check() error
	// stage writes img where nothing reads it yet (a temporary file or
	// directory beside the output, or the registry itself).
	stage(ctx context.Context, img v1.Image) (*staged, error)
}

// staged is an output written but not yet visible.
type staged struct {
	commit func() error // makes it visible: a rename
	abort  func()       // removes what stage wrote
}

// Write writes img to every output and returns its digest. It is all or
// nothing as far as a file system and a registry allow:
//
//   - every output is checked first (references, tags), then written
//     where no one looks (a temporary file or directory beside it, in the
//     same directory so that a rename can publish it); registries come
//     last, so a failing local output pushes nothing;
//   - only when all of them are written is each made visible, by renames;
//     on any failure the temporary files are removed.
//
// When ctx is done (an interrupt) the outputs are not committed, the
// temporary files are removed, and the error wraps context.Cause(ctx).
//
// A push cannot be taken back: when a later commit fails (a rename, which
// is rare) the image stays in the registry. See OCILayout for what an
// append to an existing layout leaves on failure.
func Write(ctx context.Context, img v1.Image, outs ...Output) (v1.Hash, error) {
	digest, err := img.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("image: %w", err)
	}
	if err := Check(outs...); err != nil {
		return v1.Hash{}, err
	}
	outs = slices.Clone(outs)
	slices.SortStableFunc(outs, func(a, b Output) int { return isRegistry(a) - isRegistry(b) })
	var done []*staged
	abort := func(list []*staged) {
		for _, s := range list {
			s.abort()
		}
	}
	for _, out := range outs {
		s, err := out.stage(ctx, img)
		if err == nil && ctx.Err() != nil {
			s.abort()
			err = fmt.Errorf("%s: %w", out, context.Cause(ctx))
		}
		if err != nil {
			abort(done)
			return v1.Hash{}, err
		}
		done = append(done, s)
	}
	for i, s := range done {
		if err := s.commit(); err != nil {
			abort(done[i:])
			return v1.Hash{}, err
		}
	}
	return digest, nil
}

// Check returns the error Write would give, before writing anything, for
// an output it refuses outright (a bad tag or reference): a caller checks
// its outputs before the work of collecting and building the image.
func Check(outs ...Output) error {
	for _, out := range outs {
		if err := out.check(); err != nil {
			return err
		}
	}
	return nil
}

func isRegistry(o Output) int {
	if _, ok := o.(*registryOutput); ok {
		return 1
	}
	return 0
}

// WriteOCILayout writes img to the OCI layout dir, tagged tag if not
// empty; see OCILayout.
func WriteOCILayout(img v1.Image, dir, tag string) error {
	_, err := Write(context.Background(), img, OCILayout(dir, tag))
	return err
}

// WriteTarball writes img as a docker tarball (docker load) to file,
// tagged tag if not empty; see Tarball.
func WriteTarball(img v1.Image, file, tag string) error {
	_, err := Write(context.Background(), img, Tarball(file, tag))
	return err
}

// WriteDigestFile writes the digest of img to file; see DigestFile.
func WriteDigestFile(img v1.Image, file string) error {
	_, err := Write(context.Background(), img, DigestFile(file))
	return err
}

// Push pushes img to the registry reference ref and returns the
// repository@digest it can be pulled by; see Registry.
func Push(ctx context.Context, img v1.Image, ref string, opts ...PushOption) (name.Digest, error) {
	out := Registry(ref, opts...).(*registryOutput)
	digest, err := Write(ctx, img, out)
	if err != nil {
		return name.Digest{}, err
	}
	return out.ref.Context().Digest(digest.String()), nil
}
