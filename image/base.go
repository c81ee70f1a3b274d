package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/fromscratch/fromscratch/collector"
)

// LoadBase returns the image ref names, for the platform of the programs:
//
//   - an OCI layout directory, DIR or DIR:TAG (TAG being its
//     org.opencontainers.image.ref.name annotation);
//   - a docker tarball (docker save), FILE or FILE:TAG;
//   - otherwise a registry reference, read with the default keychain over
//     plain HTTP for a loopback registry, after opts.
//
// From an index, the image of the platform is picked. An image of another
// platform is an error.
func LoadBase(ctx context.Context, ref string, platform collector.Platform, opts ...remote.Option) (v1.Image, error) {
	img, err := load(ctx, ref, platform, opts)
	shown, _ := redact(ref)
	if err != nil {
		return nil, fmt.Errorf("base %s: %w", shown, err)
	}
	if err := checkPlatform(img, platform, "base "+shown); err != nil {
		return nil, err
	}
	return img, nil
}

// LoadSource returns the image ref names, in the forms LoadBase reads, as
// the source of a minified image. A nil platform picks the host's from an
// index, or else the only image there is, of whatever platform: a foreign
// image is read, not run.
func LoadSource(ctx context.Context, ref string, platform *collector.Platform, opts ...remote.Option) (v1.Image, error) {
	p := collector.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	if platform != nil {
		p = *platform
	}
	img, err := load(ctx, ref, p, opts)
	shown, _ := redact(ref)
	if err != nil {
		return nil, fmt.Errorf("image: %s: %w", shown, err)
	}
	if platform != nil && checkPlatform(img, p, "") != nil {
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("image: %s: %w", shown, err)
		}
		return nil, fmt.Errorf("image: %s is %s, not %s", shown, collector.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}, p)
	}
	return img, nil
}

// load reads ref as LoadBase says, picking platform from an index.
func load(ctx context.Context, ref string, platform collector.Platform, opts []remote.Option) (img v1.Image, err error) {
	if path, tag, ok := splitPath(ref); !ok {
		img, err = remoteBase(ctx, ref, platform, opts)
	} else if st, serr := os.Stat(path); serr != nil {
		err = unwrapPathError(serr)
	} else if st.IsDir() {
		img, err = layoutBase(path, tag, platform)
	} else {
		img, err = tarballBase(path, tag)
	}
	return img, err
}

// splitPath splits ref as PATH or PATH:TAG when it names something on
// disk or is written as a path (it starts with "/" or "."); ok is false
// for a registry reference.
func splitPath(ref string) (path, tag string, ok bool) {
	if _, err := os.Stat(ref); err == nil {
		return ref, "", true
	}
	// The longest PATH that exists: a docker tarball's TAG has a colon.
	for i := len(ref) - 1; i > 0; i-- {
		if ref[i] != ':' {
			continue
		}
		if _, err := os.Stat(ref[:i]); err == nil {
			return ref[:i], ref[i+1:], true
		}
	}
	if strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, ".") {
		return ref, "", true // a path that does not exist: say so
	}
	return "", "", false
}

func remoteBase(ctx context.Context, ref string, platform collector.Platform, opts []remote.Option) (v1.Image, error) {
	r, err := parseReference(ref)
	if err != nil {
		return nil, err
	}
	opts = append([]remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithPlatform(v1Platform(platform)),
	}, opts...)
	return remote.Image(r, opts...)
}

func layoutBase(dir, tag string, platform collector.Platform) (v1.Image, error) {
	if err := checkRegularTree(dir); err != nil {
		return nil, err
	}
	if _, err := layout.FromPath(dir); err != nil {
		return nil, errors.New("not an OCI layout (no index.json)")
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	descs := im.Manifests
	if tag != "" {
		descs = nil
		for _, d := range im.Manifests {
			if d.Annotations[refNameAnnotation] == tag {
				descs = append(descs, d)
			}
		}
		if len(descs) == 0 {
			return nil, fmt.Errorf("no image tagged %q", tag)
		}
	}
	return pickImage(idx, descs, platform)
}

// pickImage returns the one image among descs (and the indexes they name)
// for the platform, or else the only image there is, whose platform the
// caller then checks to say what it is.
func pickImage(idx v1.ImageIndex, descs []v1.Descriptor, platform collector.Platform) (v1.Image, error) {
	var all, matching []v1.Image
	for _, d := range descs {
		var img v1.Image
		var err error
		switch {
		case d.MediaType.IsIndex():
			img, err = pickFromIndex(idx, d.Digest, platform)
		case d.MediaType.IsImage():
			img, err = idx.Image(d.Digest)
		default:
			continue // not an image: an attestation, a signature…
		}
		if err != nil {
			return nil, err
		}
		all = append(all, img)
		if checkPlatform(img, platform, "") == nil {
			matching = append(matching, img)
		}
	}
	switch {
	case len(matching) == 1:
		return matching[0], nil
	case len(matching) > 1:
		return nil, fmt.Errorf("%d images for %s: name one with :TAG", len(matching), platform)
	case len(all) == 1:
		return all[0], nil
	case len(all) == 0:
		return nil, errors.New("no image")
	}
	return nil, fmt.Errorf("no image for %s among %d", platform, len(all))
}

// pickFromIndex picks the image for the platform from the index digest.
func pickFromIndex(idx v1.ImageIndex, digest v1.Hash, platform collector.Platform) (v1.Image, error) {
	child, err := idx.ImageIndex(digest)
	if err != nil {
		return nil, err
	}
	im, err := child.IndexManifest()
	if err != nil {
		return nil, err
	}
	return pickImage(child, im.Manifests, platform)
}

func tarballBase(file, tag string) (v1.Image, error) {
	var t *name.Tag
	if tag != "" {
		// The tag is how docker save named the image, repository included.
		if err := checkReference(tag); err != nil {
			return nil, err
		}
		nt, err := name.NewTag(tag)
		if err != nil {
			return nil, err
		}
		t = &nt
	}
	f, err := openRegular(file)
	if err != nil {
		return nil, err
	}
	f.Close()
	img, err := tarball.Image(func() (io.ReadCloser, error) { return openRegular(file) }, t)
	if err != nil {
		return nil, fmt.Errorf("not a docker tarball: %w", err)
	}
	return img, nil
}

// checkPlatform fails unless img is for platform. An empty variant on
// either side matches any (arm64 and arm64/v8 are the same).
func checkPlatform(img v1.Image, platform collector.Platform, what string) error {
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	have := collector.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
	if have.OS != platform.OS || have.Architecture != platform.Architecture ||
		(have.Variant != platform.Variant && have.Variant != "" && platform.Variant != "") {
		return fmt.Errorf("%s is %s, the programs are %s", what, have, platform)
	}
	return nil
}

func v1Platform(p collector.Platform) v1.Platform {
	return v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
}
