package image

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/fromscratch/fromscratch/collector"
)

// BuildIndex builds the image of each plan with opts (see Build; each
// plan's platform is its own, so WithPlatform and WithBase, which name
// one platform, are refused: on a base, Build each plan WithBase of its
// platform's image and make their Index) and returns their Index.
func BuildIndex(plans []*collector.Plan, opts ...Option) (v1.ImageIndex, error) {
	var o buildOptions
	for _, opt := range opts {
		opt.applyBuild(&o)
	}
	switch {
	case len(plans) == 0:
		return nil, fmt.Errorf("image: an index needs at least one plan")
	case o.platform != nil:
		return nil, fmt.Errorf("image: WithPlatform names one platform: an index takes each plan's own")
	case o.base != nil:
		return nil, fmt.Errorf("image: WithBase names one platform's image: Build each plan on its own and make their Index")
	}
	imgs := make([]v1.Image, len(plans))
	for i, plan := range plans {
		img, err := Build(plan, opts...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", plan.Platform, err)
		}
		imgs[i] = img
	}
	return Index(imgs...)
}

// Index makes an OCI image index of imgs, each described with the
// platform of its config, sorted by platform so that the order of imgs
// does not change the digest. Two images of one platform are an error.
func Index(imgs ...v1.Image) (v1.ImageIndex, error) {
	type entry struct {
		img      v1.Image
		platform v1.Platform
	}
	entries := make([]entry, len(imgs))
	for i, img := range imgs {
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("image: %w", err)
		}
		entries[i] = entry{img, v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}}
	}
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.platform.OS, b.platform.OS),
			cmp.Compare(a.platform.Architecture, b.platform.Architecture),
			cmp.Compare(a.platform.Variant, b.platform.Variant))
	})
	adds := make([]mutate.IndexAddendum, len(entries))
	for i, e := range entries {
		if i > 0 && e.platform.Equals(entries[i-1].platform) {
			return nil, fmt.Errorf("image: two images for %s in one index", e.platform.String())
		}
		mt, err := e.img.MediaType()
		if err != nil {
			return nil, fmt.Errorf("image: %w", err)
		}
		p := e.platform
		adds[i] = mutate.IndexAddendum{Add: e.img, Descriptor: v1.Descriptor{MediaType: mt, Platform: &p}}
	}
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...), nil
}

// WriteIndex writes idx to every output and returns its digest, all or
// nothing as Write does: an OCI layout gets the index (named by its tag),
// a registry the index and its images, a digest file the index's digest,
// and a docker tarball, since docker load reads no index, the image of
// the platform this program runs on.
func WriteIndex(ctx context.Context, idx v1.ImageIndex, outs ...Output) (v1.Hash, error) {
	digest, err := idx.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("image: %w", err)
	}
	return digest, writeAll(ctx, outs, func(out Output) (*staged, error) {
		switch o := out.(type) {
		case *layoutOutput:
			return o.stageIndex(idx)
		case *registryOutput:
			return o.stageIndex(ctx, idx)
		case *tarballOutput:
			img, err := HostImage(idx)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", o, err)
			}
			return o.stage(ctx, img)
		case digestFile:
			return stageFile(ctx, o, string(o), func(w io.Writer) error {
				_, err := io.WriteString(w, digest.String())
				return err
			})
		}
		return nil, fmt.Errorf("%s: cannot take an index", out)
	})
}

// HostImage returns the image of idx for the platform this program runs
// on (linux/GOARCH).
func HostImage(idx v1.ImageIndex) (v1.Image, error) {
	want := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	imgs, err := partialImages(idx, match.Platforms(want))
	if err != nil {
		return nil, err
	}
	if len(imgs) != 1 {
		return nil, fmt.Errorf("the index has %d images for %s, want 1", len(imgs), want.String())
	}
	return imgs[0], nil
}

func partialImages(idx v1.ImageIndex, m match.Matcher) ([]v1.Image, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []v1.Image
	for _, d := range im.Manifests {
		if !d.MediaType.IsImage() || !m(d) {
			continue
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	return out, nil
}

func (o *layoutOutput) stageIndex(idx v1.ImageIndex) (*staged, error) {
	return o.stageWith(func(p layout.Path) error { return p.WriteIndex(idx) },
		func(p layout.Path) error {
			if o.tag != "" {
				return p.ReplaceIndex(idx, match.Annotation(refNameAnnotation, o.tag),
					layout.WithAnnotations(map[string]string{refNameAnnotation: o.tag}))
			}
			digest, err := idx.Digest()
			if err != nil {
				return err
			}
			return p.ReplaceIndex(idx, match.Digests(digest))
		})
}

func (o *registryOutput) stageIndex(ctx context.Context, idx v1.ImageIndex) (*staged, error) {
	if _, err := o.push(ctx, func(opts []remote.Option) error { return remote.WriteIndex(o.ref, idx, opts...) }); err != nil {
		return nil, err
	}
	return pushed(), nil
}
