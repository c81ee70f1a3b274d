package image

import (
	"bytes"
	"io"
	"slices"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/fromscratch/fromscratch/internal/testenv"
	"github.com/fromscratch/fromscratch/sbom"
)

// sbomImage is busyboxPlan's image with its SPDX and CycloneDX SBOMs
// attached, and the SBOMs by media type.
func sbomImage(t *testing.T) (v1.Image, map[string][]byte) {
	t.Helper()
	plan := busyboxPlan(t)
	s, err := sbom.New(plan)
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]byte{}
	var opts []Option
	for _, f := range []sbom.Format{sbom.SPDX, sbom.CycloneDX} {
		var buf bytes.Buffer
		if err := s.Encode(&buf, f); err != nil {
			t.Fatal(err)
		}
		docs[f.MediaType()] = buf.Bytes()
		opts = append(opts, WithSBOM(f.MediaType(), buf.Bytes()))
	}
	img, err := Build(plan, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return img, docs
}

// checkReferrers checks that refs are one manifest per SBOM, each with
// img as its subject, the SBOM's media type as artifact type and the SBOM
// as its one layer.
func checkReferrers(t *testing.T, img v1.Image, refs []v1.Descriptor, open func(v1.Hash) (v1.Image, error), docs map[string][]byte) {
	t.Helper()
	digest := must(img.Digest())
	var types []string
	for _, d := range refs {
		types = append(types, d.ArtifactType)
		r, err := open(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		m := must(r.Manifest())
		if m.Subject == nil || m.Subject.Digest != digest {
			t.Errorf("referrer %s: subject %v, want %s", d.Digest, m.Subject, digest)
		}
		layers := must(r.Layers())
		if len(layers) != 1 {
			t.Fatalf("referrer %s: %d layers", d.Digest, len(layers))
		}
		data := must(io.ReadAll(must(layers[0].Uncompressed())))
		if !bytes.Equal(data, docs[d.ArtifactType]) || string(must(layers[0].MediaType())) != d.ArtifactType {
			t.Errorf("referrer %s (%s): its layer is not the SBOM", d.Digest, d.ArtifactType)
		}
	}
	slices.Sort(types)
	if want := []string{sbom.SPDX.MediaType(), sbom.CycloneDX.MediaType()}; !slices.Equal(types, want) {
		t.Errorf("referrers of artifact types %q, want %q", types, want)
	}
}

// In an OCI layout, the SBOMs are referrers listed in index.json beside
// the image, which has its platform there; a second write of the same
// image adds nothing.
func TestSBOMLayoutReferrers(t *testing.T) {
	img, docs := sbomImage(t)
	dir := ociLayout(t, img, "bb")
	if err := WriteOCILayout(img, dir, "bb"); err != nil {
		t.Fatal(err)
	}
	p := must(layout.FromPath(dir))
	idx := must(p.ImageIndex())
	im := must(idx.IndexManifest())
	if len(im.Manifests) != 3 {
		t.Fatalf("index.json lists %d manifests, want the image and 2 SBOMs", len(im.Manifests))
	}
	digest := must(img.Digest())
	var refs []v1.Descriptor
	for _, d := range im.Manifests {
		if d.Digest == digest {
			if d.Platform == nil || d.Platform.Architecture != "amd64" {
				t.Errorf("the image's descriptor has platform %v", d.Platform)
			}
			continue
		}
		refs = append(refs, d)
	}
	checkReferrers(t, img, refs, idx.Image, docs)
}

// docker-registry 2.8 has no referrers API: the SBOMs are pushed as
// referrers all the same (go-containerregistry keeps the referrers tag
// schema's index, which remote.Referrers reads), and tagged
// sha256-DIGEST.sbom as cosign and ko do; the push says so.
func TestSBOMRegistryReferrers(t *testing.T) {
	reg := testenv.NeedRegistry(t)
	img, docs := sbomImage(t)
	ref := reg + "/" + testenv.Name(t) + ":test"
	var method ReferrersMethod
	d, err := Push(t.Context(), img, ref, WithAttachedReport(func(m ReferrersMethod) { method = m }))
	if err != nil {
		t.Fatal(err)
	}
	if method != ReferrersTag {
		t.Errorf("attached by the %q, want %q (docker-registry 2.8 has no referrers API)", method, ReferrersTag)
	}
	idx, err := remote.Referrers(d)
	if err != nil {
		t.Fatal(err)
	}
	repo := d.Context()
	open := func(h v1.Hash) (v1.Image, error) { return remote.Image(repo.Digest(h.String())) }
	checkReferrers(t, img, must(idx.IndexManifest()).Manifests, open, docs)

	tag, err := name.NewTag(repo.String()+":"+SBOMTag(must(img.Digest())), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	all, err := remote.Image(tag)
	if err != nil {
		t.Fatalf("no %s: %v", tag, err)
	}
	var got []string
	for _, l := range must(all.Layers()) {
		mt := string(must(l.MediaType()))
		got = append(got, mt)
		if !bytes.Equal(must(io.ReadAll(must(l.Uncompressed()))), docs[mt]) {
			t.Errorf("%s: the %s layer is not the SBOM", tag, mt)
		}
	}
	if want := []string{sbom.SPDX.MediaType(), sbom.CycloneDX.MediaType()}; !slices.Equal(got, want) {
		t.Errorf("%s holds %q, want %q", tag, got, want)
	}
}
