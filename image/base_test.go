package image

import (
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/fromscratch/fromscratch/collector"
)

var (
	amd64 = collector.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = collector.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
)

func platformImage(t *testing.T, p collector.Platform) v1.Image {
	t.Helper()
	plan := newPlan(dir("/etc"))
	plan.Platform = p
	img, err := Build(plan)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestLoadBase(t *testing.T) {
	dir := t.TempDir()
	img := platformImage(t, amd64)
	oci, file := filepath.Join(dir, "oci"), filepath.Join(dir, "img.tar")
	if _, err := Write(t.Context(), img, OCILayout(oci, "base"), Tarball(file, "base:1")); err != nil {
		t.Fatal(err)
	}
	if err := WriteOCILayout(platformImage(t, arm64), oci, "arm"); err != nil {
		t.Fatal(err)
	}
	// The docker tarball keeps config and layers, not the manifest.
	for _, ref := range []string{oci, oci + ":base", file, file + ":base:1"} {
		base, err := LoadBase(t.Context(), ref, amd64)
		if err != nil {
			t.Errorf("%s: %v", ref, err)
			continue
		}
		if must(base.ConfigName()) != must(img.ConfigName()) {
			t.Errorf("%s: another image", ref)
		}
	}
	for _, c := range []struct {
		ref string
		p   collector.Platform
		err string
	}{
		{oci + ":arm", amd64, "base " + oci + ":arm is linux/arm64/v8, the programs are linux/amd64"},
		{oci + ":base", arm64, "base " + oci + ":base is linux/amd64, the programs are linux/arm64/v8"},
		{oci + ":nope", amd64, "base " + oci + ":nope: no image tagged \"nope\""},
		{file, arm64, "base " + file + " is linux/amd64, the programs are linux/arm64/v8"},
		{file + ":other:1", amd64, "base " + file + ":other:1: not a docker tarball: tag other:1 not found in tarball"},
		{dir, amd64, "base " + dir + ": not an OCI layout (no index.json)"},
		{"./nothere", amd64, "base ./nothere: no such file or directory"},
		{"not a ref!!", amd64, `base not a ref!!: repository path component "not a ref!!" is not canonical (lowercase letters and digits, separated by one of . _ __ or dashes; components separated by one /)`},
	} {
		_, err := LoadBase(t.Context(), c.ref, c.p)
		wantError(t, err, c.err)
	}
}

// From a layout whose one entry is a multi-platform index, the image of
// the platform is picked.
func TestLoadBaseIndex(t *testing.T) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range []collector.Platform{amd64, arm64} {
		vp := v1Platform(p)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        platformImage(t, p),
			Descriptor: v1.Descriptor{Platform: &vp},
		})
	}
	dir := filepath.Join(t.TempDir(), "oci")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(idx); err != nil {
		t.Fatal(err)
	}
	for _, want := range []collector.Platform{amd64, arm64, {OS: "linux", Architecture: "arm64"}} {
		img, err := LoadBase(t.Context(), dir, want)
		if err != nil {
			t.Fatal(err)
		}
		if cf := must(img.ConfigFile()); cf.Architecture != want.Architecture {
			t.Errorf("for %s: %s", want, cf.Architecture)
		}
	}
	_, err = LoadBase(t.Context(), dir, collector.Platform{OS: "linux", Architecture: "riscv64"})
	wantError(t, err, "base "+dir+": no image for linux/riscv64 among 2")
}

func TestIsLoopback(t *testing.T) {
	for reg, want := range map[string]bool{
		"localhost:5000": true, "localhost": true, "127.0.0.1:5000": true, "127.1.2.3": true,
		"[::1]:5000": true, "index.docker.io": false, "10.0.0.1:5000": false, "localhost.example.com": false,
	} {
		if got := isLoopback(reg); got != want {
			t.Errorf("isLoopback(%s) = %v", reg, got)
		}
	}
}
