package image

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
)

// TestLoadSource: with no platform, the host's image from a layout of
// several, or the only image whatever its platform; with one, that
// platform's or an error.
func TestLoadSource(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the layouts are amd64 and arm64: the host's must be one of them")
	}
	both := filepath.Join(t.TempDir(), "oci")
	for tag, p := range map[string]collector.Platform{"amd": amd64, "arm": arm64} {
		if err := WriteOCILayout(platformImage(t, p), both, tag); err != nil {
			t.Fatal(err)
		}
	}
	only := filepath.Join(t.TempDir(), "oci")
	if err := WriteOCILayout(platformImage(t, arm64), only, "arm"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ref      string
		platform *collector.Platform
		want     string
	}{
		{both, nil, "amd64"},
		{both, &arm64, "arm64"},
		{only, nil, "arm64"},
		{only, &arm64, "arm64"},
	} {
		img, err := LoadSource(t.Context(), c.ref, c.platform)
		if err != nil {
			t.Errorf("%s, %v: %v", c.ref, c.platform, err)
			continue
		}
		if cf := must(img.ConfigFile()); cf.Architecture != c.want {
			t.Errorf("%s, %v: %s, want %s", c.ref, c.platform, cf.Architecture, c.want)
		}
	}
	_, err := LoadSource(t.Context(), only, &amd64)
	wantError(t, err, "image: "+only+" is linux/arm64/v8, not linux/amd64")
	_, err = LoadSource(t.Context(), "./nothere", nil)
	wantError(t, err, "image: ./nothere: no such file or directory")
}
