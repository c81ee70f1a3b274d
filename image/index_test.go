package image

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/fromscratch/fromscratch/collector"
)

func platformPlan(arch string) *collector.Plan {
	plan := newPlan(dir("/bin"), file("/bin/prog", arch, 0o755))
	plan.Platform = collector.Platform{OS: "linux", Architecture: arch}
	return plan
}

// TestIndex: one image per platform, sorted, whatever the order given;
// written as an index to a layout and a digest file, and as the host's
// image to a docker tarball.
func TestIndex(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("the host is neither amd64 nor arm64")
	}
	amd, arm := platformPlan("amd64"), platformPlan("arm64")
	idx := must(BuildIndex([]*collector.Plan{arm, amd}, WithLayering(LayeringAuto)))
	other := must(BuildIndex([]*collector.Plan{amd, arm}, WithLayering(LayeringAuto)))
	if must(idx.Digest()) != must(other.Digest()) {
		t.Error("the order of the plans changed the index digest")
	}
	im := must(idx.IndexManifest())
	if im.MediaType != types.OCIImageIndex || len(im.Manifests) != 2 ||
		im.Manifests[0].Platform.Architecture != "amd64" || im.Manifests[1].Platform.Architecture != "arm64" {
		t.Fatalf("index %+v", im)
	}

	dir := t.TempDir()
	lay, tar, dig := filepath.Join(dir, "oci"), filepath.Join(dir, "img.tar"), filepath.Join(dir, "digest")
	digest, err := WriteIndex(context.Background(), idx, OCILayout(lay, "multi:1"), Tarball(tar, "multi:1"), DigestFile(dig))
	if err != nil {
		t.Fatal(err)
	}
	if digest != must(idx.Digest()) || string(must(os.ReadFile(dig))) != digest.String() {
		t.Errorf("digest %v, file %q, index %v", digest, must(os.ReadFile(dig)), must(idx.Digest()))
	}
	top := must(must(layout.ImageIndexFromPath(lay)).IndexManifest())
	if len(top.Manifests) != 1 || top.Manifests[0].Digest != digest || !top.Manifests[0].MediaType.IsIndex() ||
		top.Manifests[0].Annotations[refNameAnnotation] != "multi:1" {
		t.Errorf("layout index.json %+v", top)
	}
	img := must(tarball.ImageFromPath(tar, nil))
	if cf := must(img.ConfigFile()); cf.Architecture != runtime.GOARCH {
		t.Errorf("tarball image is %s, want the host's %s", cf.Architecture, runtime.GOARCH)
	}
	host := must(HostImage(idx))
	if must(host.ConfigName()) != must(img.ConfigName()) {
		t.Error("the tarball's image is not the index's host image")
	}

	// Written again under the same tag: replaced, not added.
	if _, err := WriteIndex(context.Background(), must(BuildIndex([]*collector.Plan{amd})), OCILayout(lay, "multi:1")); err != nil {
		t.Fatal(err)
	}
	if top := must(must(layout.ImageIndexFromPath(lay)).IndexManifest()); len(top.Manifests) != 1 {
		t.Errorf("after a second write %d entries", len(top.Manifests))
	}
}

func TestIndexErrors(t *testing.T) {
	amd := platformPlan("amd64")
	if _, err := BuildIndex([]*collector.Plan{amd, platformPlan("amd64")}); err == nil {
		t.Error("two amd64 plans: no error")
	}
	if _, err := BuildIndex(nil); err == nil {
		t.Error("no plans: no error")
	}
	if _, err := BuildIndex([]*collector.Plan{amd}, WithPlatform(amd.Platform)); err == nil {
		t.Error("WithPlatform: no error")
	}
	idx := must(BuildIndex([]*collector.Plan{platformPlan("s390x")}))
	_, err := WriteIndex(context.Background(), idx, Tarball(filepath.Join(t.TempDir(), "x.tar"), ""))
	if err == nil {
		t.Error("a tarball of an index without the host's platform: no error")
	}
	var _ v1.ImageIndex = idx
}
