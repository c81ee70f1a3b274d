package image

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// helloImage is a small image; env makes it differ.
func helloImage(t *testing.T, env ...string) v1.Image {
	t.Helper()
	img, err := Build(newPlan(dir("/etc"), file("/etc/hello", "hello\n", 0o644)), WithEnv(env...))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// layoutIndex lists the digest and tag of each manifest of an OCI layout,
// checking each image against its digests.
func layoutIndex(t *testing.T, dir string) []string {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		checkImage(t, img)
		list = append(list, d.Digest.Hex[:8]+":"+d.Annotations[refNameAnnotation])
	}
	return list
}

// checkImage reads every blob of img and checks it against its digest
// (validate.Image would need go-cmp in go.mod).
func checkImage(t *testing.T, img v1.Image) {
	t.Helper()
	raw, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	if d := must(img.Digest()); sha(raw) != d {
		t.Errorf("manifest is %s, not %s", sha(raw), d)
	}
	if c := must(img.RawConfigFile()); sha(c) != must(img.ConfigName()) {
		t.Errorf("config is %s, not %s", sha(c), must(img.ConfigName()))
	}
	cf := must(img.ConfigFile())
	for i, l := range must(img.Layers()) {
		if h := sha(readAll(t, l.Compressed)); h != must(l.Digest()) {
			t.Errorf("layer %d is %s, not %s", i, h, must(l.Digest()))
		}
		if h := sha(readAll(t, l.Uncompressed)); h != must(l.DiffID()) || h != cf.RootFS.DiffIDs[i] {
			t.Errorf("layer %d diff ID is %s, not %s", i, h, must(l.DiffID()))
		}
	}
}

// onlyFiles checks that dir holds just the names given: no temporary file
// or directory left.
func onlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, names) {
		t.Errorf("%s holds %v, want %v", dir, got, names)
	}
}

func TestOCILayout(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "oci")
	img1, img2 := helloImage(t), helloImage(t, "X=2")
	h1, h2 := must(img1.Digest()).Hex[:8], must(img2.Digest()).Hex[:8]
	for _, step := range []struct {
		img  v1.Image
		tag  string
		want []string
	}{
		{img1, "a", []string{h1 + ":a"}},                                 // new
		{img2, "b", []string{h1 + ":a", h2 + ":b"}},                      // appended
		{img2, "a", []string{h2 + ":b", h2 + ":a"}},                      // tag a replaced
		{img1, "", []string{h2 + ":b", h2 + ":a", h1 + ":"}},             // untagged, added
		{img1, "", []string{h2 + ":b", h2 + ":a", h1 + ":"}},             // already there
		{img2, "", []string{h2 + ":b", h2 + ":a", h1 + ":"}},             // already there, tagged
		{img1, "c", []string{h2 + ":b", h2 + ":a", h1 + ":", h1 + ":c"}}, // tagged too
	} {
		if err := WriteOCILayout(step.img, dir, step.tag); err != nil {
			t.Fatal(err)
		}
		if got := layoutIndex(t, dir); !slices.Equal(got, step.want) {
			t.Errorf("after %s:%s: %v, want %v", must(step.img.Digest()).Hex[:8], step.tag, got, step.want)
		}
		onlyFiles(t, parent, "oci")
	}
	onlyFiles(t, dir, "blobs", "index.json", "oci-layout")

	// An empty directory is made a layout.
	empty := filepath.Join(parent, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteOCILayout(img1, empty, "a"); err != nil {
		t.Fatal(err)
	}
	if got := layoutIndex(t, empty); !slices.Equal(got, []string{h1 + ":a"}) {
		t.Errorf("empty dir: %v", got)
	}
}

func TestTarball(t *testing.T) {
	dir := t.TempDir()
	img := helloImage(t)
	for _, c := range []struct{ tag, repoTag string }{
		{"fromscratch/hello:1", "fromscratch/hello:1"},
		{"hello", "hello:latest"},
		{"", ""},
	} {
		file := filepath.Join(dir, "img.tar")
		if err := WriteTarball(img, file, c.tag); err != nil {
			t.Fatal(err)
		}
		onlyFiles(t, dir, "img.tar")
		if st, _ := os.Stat(file); st.Mode().Perm() != 0o644 {
			t.Errorf("mode %v", st.Mode())
		}
		m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(file) })
		if err != nil {
			t.Fatal(err)
		}
		var tags []string
		if c.repoTag != "" {
			tags = []string{c.repoTag}
		}
		if len(m) != 1 || !slices.Equal(m[0].RepoTags, tags) {
			t.Errorf("tag %q: manifest.json %+v", c.tag, m)
		}
		// The docker tarball holds the same config and layer.
		back, err := tarball.ImageFromPath(file, nil)
		if err != nil {
			t.Fatal(err)
		}
		if must(back.ConfigName()) != must(img.ConfigName()) ||
			must(must(back.Layers())[0].Digest()) != must(must(img.Layers())[0].Digest()) {
			t.Error("config or layer differs")
		}
	}
}

func TestDigestFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "digest")
	img := helloImage(t)
	if err := WriteDigestFile(img, file); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(file); string(b) != must(img.Digest()).String() {
		t.Errorf("digest file %q", b)
	}
}

// Write checks every output before it writes any, and leaves nothing when
// one fails: no file, no temporary file.
func TestWriteNothingOnFailure(t *testing.T) {
	img := helloImage(t)
	dir := t.TempDir()
	locals := func() []Output {
		return []Output{
			OCILayout(filepath.Join(dir, "oci"), "x"),
			Tarball(filepath.Join(dir, "img.tar"), "x"),
			DigestFile(filepath.Join(dir, "digest")),
		}
	}
	notLayout := filepath.Join(dir, "notlayout")
	if err := os.MkdirAll(filepath.Join(notLayout, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		out Output
		err string
	}{
		{Registry("not a ref!!"), `registry not a ref!!: repository path component "not a ref!!" is not canonical (lowercase letters and digits, separated by one of . _ __ or dashes; components separated by one /)`},
		{Tarball(filepath.Join(dir, "t.tar"), "Bad Tag"), "tarball " + dir + "/t.tar: bad tag: repository path component \"Bad Tag\" is not canonical (lowercase letters and digits, separated by one of . _ __ or dashes; components separated by one /)"},
		{Registry("127.0.0.1:1/fromscratch:test"), `registry 127.0.0.1:1/fromscratch:test: Get "https://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused; Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused`},
		{OCILayout("/nonexistent/oci", "x"), "OCI layout /nonexistent/oci: cannot write in /nonexistent: no such file or directory"},
		{OCILayout("/proc/oci", "x"), "OCI layout /proc/oci: cannot write in /proc: no such file or directory"},
		{OCILayout(notLayout, "x"), "OCI layout " + notLayout + ": exists and is not an OCI layout (no index.json)"},
		{Tarball("/sys/img.tar", "x"), "tarball /sys/img.tar: cannot write in /sys: permission denied"},
		{Tarball("/etc/passwd/img.tar", "x"), "tarball /etc/passwd/img.tar: cannot write in /etc/passwd: not a directory"},
		{Tarball(dir, "x"), "tarball " + dir + ": is a directory"},
		{DigestFile("/sys/digest"), "digest file /sys/digest: cannot write in /sys: permission denied"},
	} {
		start := time.Now()
		_, err := Write(t.Context(), img, append(locals(), c.out)...)
		wantError(t, err, c.err)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: failed after %v", c.out, d)
		}
		onlyFiles(t, dir, "notlayout")
		onlyFiles(t, notLayout, "data")
	}
}

func TestPushUnreachable(t *testing.T) {
	_, err := Push(t.Context(), helloImage(t), "127.0.0.1:1/fromscratch:test")
	if err == nil || !strings.HasPrefix(err.Error(), "registry 127.0.0.1:1/fromscratch:test: ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q", err)
	}
}

// The docker tarball is what docker load reads: manifest.json names the
// config and layer files it holds.
func TestTarballLayout(t *testing.T) {
	file := filepath.Join(t.TempDir(), "img.tar")
	if err := WriteTarball(helloImage(t), file, "hello:1"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]bool{}
	var manifest []struct{ Config, RepoTags, Layers any }
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		names[hdr.Name] = true
		if hdr.Name == "manifest.json" {
			if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(manifest) != 1 {
		t.Fatalf("manifest.json: %v", manifest)
	}
	if !names[manifest[0].Config.(string)] || !names[manifest[0].Layers.([]any)[0].(string)] {
		t.Errorf("manifest.json %v names files not in %v", manifest, names)
	}
	if _, err := name.NewTag(manifest[0].RepoTags.([]any)[0].(string)); err != nil {
		t.Error(err)
	}
}

// Writers adding to one layout at once lose none of each other's images:
// the first to rename its new layout into place makes it, the others add
// to it, each making its index.json from the current one under the lock.
func TestOCILayoutConcurrentWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "oci")
	const n = 6
	imgs := make([]v1.Image, n)
	for i := range imgs {
		imgs[i] = helloImage(t, fmt.Sprintf("N=%d", i))
	}
	errs := make(chan error, n)
	for i, img := range imgs {
		go func() { errs <- WriteOCILayout(img, dir, fmt.Sprint("tag", i)) }()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := layoutIndex(t, dir); len(got) != n {
		t.Errorf("index: %v", got)
	}
	onlyFiles(t, filepath.Dir(dir), "oci")
}
