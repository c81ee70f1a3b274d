package imageroot_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/fromscratch/fromscratch/imageroot"
)

// layoutImage writes an image of two gzip layers to an OCI layout and
// returns the layout's directory and the layers' blob paths.
func layoutImage(t *testing.T) (dir string, blobs []string) {
	t.Helper()
	img := empty.Image
	for _, ents := range [][]ent{{file("a", strings.Repeat("a", 10000))}, {file("b", strings.Repeat("b", 10000))}} {
		b := layerTar(t, ents...)
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.AppendLayers(img, l); err != nil {
			t.Fatal(err)
		}
	}
	dir = t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	for _, l := range layers {
		d, _ := l.Digest()
		blobs = append(blobs, filepath.Join(dir, "blobs", d.Algorithm, d.Hex))
	}
	return dir, blobs
}

func readLayout(t *testing.T, dir string) v1.Image {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestVerify: a layer whose content is not what the manifest and config
// say (another layer's blob under its digest; a truncated blob) fails the
// staging with one line, and leaves nothing.
func TestVerify(t *testing.T) {
	for _, c := range []struct {
		name, want string
		tamper     func(blobs []string) error
	}{
		{"digest mismatch", "the config's diff ID is", func(blobs []string) error {
			b, err := os.ReadFile(blobs[1])
			if err != nil {
				return err
			}
			return os.WriteFile(blobs[0], b, 0o644)
		}},
		{"truncated", "unexpected EOF", func(blobs []string) error {
			st, err := os.Stat(blobs[1])
			if err != nil {
				return err
			}
			return os.Truncate(blobs[1], st.Size()/2)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, blobs := layoutImage(t)
			if err := c.tamper(blobs); err != nil {
				t.Fatal(err)
			}
			tmp := t.TempDir()
			r, err := imageroot.New(readLayout(t, dir), imageroot.WithTempDir(tmp))
			if err == nil {
				r.Close()
				t.Fatal("staged a tampered image")
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "imageroot: layer ") {
				t.Errorf("err = %v, want one line with %q", err, c.want)
			}
			emptyDir(t, tmp)
		})
	}
	// Untampered, the same layout stages.
	dir, _ := layoutImage(t)
	r, err := imageroot.New(readLayout(t, dir), imageroot.WithTempDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
}
