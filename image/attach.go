package image

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// WithSBOM attaches an SBOM to the image Build makes: data, of the media
// type mediaType (sbom.Format.MediaType: application/spdx+json,
// application/vnd.cyclonedx+json). Repeatable, one per format. Write
// puts each SBOM beside the image, as ko does:
//
//   - in an OCI layout, as an OCI referrer: a manifest whose subject is
//     the image, its artifact type mediaType, listed in index.json
//     (untagged) next to the image;
//   - in a registry, the same referrer pushed by digest. A registry with
//     the referrers API (OCI distribution 1.1) indexes it itself; for
//     one without (docker-registry 2.8, which the tests use),
//     go-containerregistry keeps the referrers tag schema's index at
//     the tag sha256-DIGEST, and Write also tags sha256-DIGEST.sbom with
//     a manifest of every SBOM as a layer, the tag cosign and ko use.
//
// A docker tarball has no place for them. Mutating the built image
// (mutate.*) loses them: attach to the image that is written.
func WithSBOM(mediaType string, data []byte) Option {
	return buildOption(func(o *buildOptions) {
		o.sboms = append(o.sboms, attachment{mediaType: types.MediaType(mediaType), data: data})
	})
}

// attachment is a document attached to an image.
type attachment struct {
	mediaType types.MediaType
	data      []byte
}

// attached is an image with its attachments, as Build returns it.
type attached struct {
	v1.Image
	sboms []attachment
}

// attachments returns the attachments of img, if Build gave it some.
func attachments(img v1.Image) []attachment {
	if a, ok := img.(*attached); ok {
		return a.sboms
	}
	return nil
}

// artifact makes an artifact manifest holding docs as layers, its config
// media type artifactType (which OCI 1.1 takes as the artifact type when
// the manifest names none), with subject if not nil.
func artifact(artifactType types.MediaType, subject *v1.Descriptor, docs ...attachment) (v1.Image, error) {
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), artifactType)
	for _, d := range docs {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{Layer: static.NewLayer(d.data, d.mediaType)})
		if err != nil {
			return nil, err
		}
	}
	if subject != nil {
		img = mutate.Subject(img, *subject).(v1.Image)
	}
	return img, nil
}

// Referrers returns the OCI referrers Write attaches to img: one per SBOM
// of WithSBOM, each with img as its subject.
func Referrers(img v1.Image) ([]v1.Image, error) {
	docs := attachments(img)
	if len(docs) == 0 {
		return nil, nil
	}
	subject, err := partial.Descriptor(img)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	subject = &v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}
	var out []v1.Image
	for _, d := range docs {
		r, err := artifact(d.mediaType, subject, d)
		if err != nil {
			return nil, fmt.Errorf("image: SBOM %s: %w", d.mediaType, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// SBOMTag is the tag that cosign and ko give the SBOMs of the image of
// digest in a registry: sha256-HEX.sbom.
func SBOMTag(digest v1.Hash) string {
	return digest.Algorithm + "-" + digest.Hex + ".sbom"
}

// writeLayoutReferrers writes the referrers of img into the layout p and
// lists them in its index.json, each once.
func writeLayoutReferrers(p layout.Path, img v1.Image) error {
	refs, err := Referrers(img)
	if err != nil {
		return err
	}
	for _, r := range refs {
		if err := appendOnce(p, r); err != nil {
			return err
		}
	}
	return nil
}

// appendOnce adds img to the index of p unless it is there already.
func appendOnce(p layout.Path, img v1.Image, opts ...layout.Option) error {
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range im.Manifests {
		if d.Digest == digest {
			return nil
		}
	}
	return p.AppendImage(img, opts...)
}

// referrerIndexOptions are the options of an image's descriptor in a
// layout's index.json: for an image with referrers, its platform, so that
// the tools that pick one image of a layout by platform (Syft's oci-dir)
// tell it from its referrers, which are image manifests too.
func referrerIndexOptions(img v1.Image) ([]layout.Option, error) {
	if len(attachments(img)) == 0 {
		return nil, nil
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	return []layout.Option{layout.WithPlatform(v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant})}, nil
}

// ReferrersMethod says how pushReferrers attached the SBOMs.
type ReferrersMethod string

const (
	// ReferrersAPI: the registry has the referrers API and indexes them.
	ReferrersAPI ReferrersMethod = "referrers API"
	// ReferrersTag: the registry has no referrers API: the referrers tag
	// schema's sha256-DIGEST index and the sha256-DIGEST.sbom tag.
	ReferrersTag ReferrersMethod = "tag sha256-DIGEST.sbom"
)

// pushReferrers pushes the referrers of img, pushed at ref, and tells
// which way the registry took them.
func pushReferrers(ref name.Reference, img v1.Image, opts []remote.Option) (ReferrersMethod, error) {
	refs, err := Referrers(img)
	if err != nil || len(refs) == 0 {
		return "", err
	}
	repo := ref.Context()
	for _, r := range refs {
		digest, err := r.Digest()
		if err != nil {
			return "", err
		}
		// go-containerregistry asks the registry for its referrers API
		// and keeps the tag schema's index where it has none.
		if err := remote.Write(repo.Digest(digest.String()), r, opts...); err != nil {
			return "", fmt.Errorf("SBOM: %w", err)
		}
	}
	digest, err := img.Digest()
	if err != nil {
		return "", err
	}
	// The tag schema's index exists only where the registry had no
	// referrers API (or a client found none before).
	fallback := repo.Tag(digest.Algorithm + "-" + digest.Hex)
	if _, err := remote.Head(fallback, opts...); err != nil {
		var terr *transport.Error
		if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
			return ReferrersAPI, nil
		}
		return "", fmt.Errorf("SBOM: %w", err)
	}
	// cosign's SBOM attachments are images of one layer per document.
	all, err := artifact(types.OCIConfigJSON, nil, attachments(img)...)
	if err != nil {
		return "", err
	}
	if err := remote.Write(repo.Tag(SBOMTag(digest)), all, opts...); err != nil {
		return "", fmt.Errorf("SBOM: %w", err)
	}
	return ReferrersTag, nil
}

// WithAttachedReport calls report with the way the SBOMs of WithSBOM were
// attached in the registry, once they are.
func WithAttachedReport(report func(ReferrersMethod)) PushOption {
	return func(o *pushOptions) { o.attached = report }
}
