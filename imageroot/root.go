package imageroot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/fromscratch/fromscratch/elfscan"
)

// A Root is the staged filesystem of an image. It must be closed: Close
// removes the staging directory.
type Root struct {
	dir    string
	root   *elfscan.Root
	config *v1.ConfigFile
	digest v1.Hash
	notes  []string
}

// An Option configures New.
type Option func(*options)

type options struct {
	tempDir string
	ctx     context.Context
}

// WithContext stops the staging, and removes it, when ctx is done.
func WithContext(ctx context.Context) Option {
	return func(o *options) { o.ctx = ctx }
}

// WithTempDir stages the image in a new directory under dir (default
// os.TempDir()): beside the output, the files are on the disk that
// receives them.
func WithTempDir(dir string) Option {
	return func(o *options) { o.tempDir = dir }
}

// New stages the filesystem of img. On an error nothing is left behind.
func New(img v1.Image, opts ...Option) (*Root, error) {
	o := options{ctx: context.Background()}
	for _, opt := range opts {
		opt(&o)
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("imageroot: %w", err)
	}
	cf, err := verifiedConfig(img)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(o.tempDir, "fromscratch-from-")
	if err != nil {
		return nil, fmt.Errorf("imageroot: %w", err)
	}
	r := &Root{dir: dir, config: cf, digest: digest}
	if err := r.stage(o.ctx, img, cf); err != nil {
		r.Close()
		return nil, err
	}
	if r.root, err = elfscan.NewRoot(dir); err != nil {
		r.Close()
		return nil, fmt.Errorf("imageroot: %w", err)
	}
	return r, nil
}

// verifiedConfig returns img's config after checking it against the
// manifest's config digest: the diff IDs checked later come from it.
func verifiedConfig(img v1.Image) (*v1.ConfigFile, error) {
	raw, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("imageroot: config: %w", err)
	}
	name, err := img.ConfigName()
	if err != nil {
		return nil, fmt.Errorf("imageroot: config: %w", err)
	}
	if sum := sha256.Sum256(raw); name.Algorithm != "sha256" || name.Hex != fmt.Sprintf("%x", sum) {
		return nil, fmt.Errorf("imageroot: config: content is sha256:%x, the manifest says %s", sum, name)
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("imageroot: config: %w", err)
	}
	return cf, nil
}

// Dir is the host directory of the staged filesystem.
func (r *Root) Dir() string { return r.dir }

// Root is the staged filesystem as the resolver's Root.
func (r *Root) Root() *elfscan.Root { return r.root }

// Config is the image's config file.
func (r *Root) Config() *v1.ConfigFile { return r.config }

// Digest is the image's manifest digest.
func (r *Root) Digest() v1.Hash { return r.digest }

// Notes are what was skipped while staging (devices, FIFOs, sockets,
// entries naming paths outside the root), one line each.
func (r *Root) Notes() []string { return r.notes }

// Close removes the staging directory. It may be called more than once.
func (r *Root) Close() error {
	if r.dir == "" {
		return nil
	}
	dir := r.dir
	r.dir = ""
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("imageroot: %w", err)
	}
	return nil
}
