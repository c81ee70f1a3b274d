package main

// The acceptance of --layering, of --base leaving out what the base has,
// and of --platform-root: real pushes to the test registry (through a
// counting proxy), docker load and run, umoci and runc, skopeo, qemu.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// uploadCounter is a proxy before the test registry that records the
// digest of every blob upload that completes (PUT …/blobs/uploads/…?digest=).
type uploadCounter struct {
	mu      sync.Mutex
	uploads []string
}

func newUploadCounter(t *testing.T, registry string) (addr string, c *uploadCounter) {
	t.Helper()
	c = &uploadCounter{}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: registry})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/") {
			c.mu.Lock()
			c.uploads = append(c.uploads, r.URL.Query().Get("digest"))
			c.mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), c
}

// take returns the uploads since the last call, sorted.
func (c *uploadCounter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Sorted(slices.Values(c.uploads))
	c.uploads = nil
	return out
}

// blobManifest is the part of an OCI blobManifest that says which blobs it needs.
type blobManifest struct {
	Config struct {
		Digest string
		Size   int64
	}
	Layers []struct {
		Digest string
		Size   int64
	}
}

func rawManifest(t *testing.T, ref string) blobManifest {
	t.Helper()
	var m blobManifest
	skopeoJSON(t, &m, "inspect", "--raw", "--tls-verify=false", "docker://"+ref)
	return m
}

// sharedProgram is a program of the sharing test, with a command that
// shows it runs.
type sharedProgram struct {
	name  string
	args  []string // FILE arguments and flags of fromscratch image
	run   []string // arguments to the entrypoint
	stdin string
	want  string // a substring of its output
}

var sharedPrograms = []sharedProgram{
	{name: "curl", args: []string{"/usr/bin/curl"}, run: []string{"--version"}, want: "libcurl"},
	{name: "jq", args: []string{"/usr/bin/jq"}, run: []string{"-c", ".a"}, stdin: `{"a":[6,7]}`, want: "[6,7]"},
	{name: "git", args: []string{"/usr/bin/git"}, run: []string{"--version"}, want: "git version"},
	{name: "sqlite3", args: []string{"/usr/bin/sqlite3"}, run: []string{":memory:", "select 6*7;"}, want: "42"},
	// Python needs its standard library: a traced run finds what it uses.
	{name: "python3", args: []string{"--trace", "/usr/bin/python3", "--", "-c", "import json; print(json.dumps([6*7]))"},
		run: []string{"-c", "import json; print(json.dumps([6*7]))"}, want: "[42]"},
}

// imageDigest runs fromscratch image and returns the digest, the last
// line of its output (a traced program prints before it).
func imageDigest(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := fromscratch(t, append([]string{"image"}, args...)...)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	digest := lines[len(lines)-1]
	if code != 0 || !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("fromscratch image %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return digest
}

// TestImageLayeringShared (Sharing): five programs of this machine pushed
// to one repository with --layering auto take at most 0.85 of the blob
// bytes of the same five as single layers; each push after the first
// uploads only the blobs that the earlier ones did not have; the docker
// tarball and the OCI layout of each load and run.
func TestImageLayeringShared(t *testing.T) {
	testenv.NeedRoot(t)
	reg := testenv.NeedRegistry(t)
	testenv.NeedDocker(t)
	testenv.NeedCommand(t, "skopeo", "umoci", "runc")
	proxy, uploads := newUploadCounter(t, reg)
	repo := testenv.Name(t)
	bytes := map[string]map[string]int64{"none": {}, "auto": {}} // layering → blob digest → size
	for _, layering := range []string{"none", "auto"} {
		seen := map[string]bool{}
		for _, p := range sharedPrograms {
			ref := fmt.Sprintf("%s/%s-%s:%s", proxy, repo, layering, p.name)
			uploads.take()
			imageDigest(t, append([]string{"--layering", layering, "--push", ref}, p.args...)...)
			got := uploads.take()
			m := rawManifest(t, ref)
			var fresh []string
			blobs := append([]struct {
				Digest string
				Size   int64
			}{m.Config}, m.Layers...)
			for _, b := range blobs {
				bytes[layering][b.Digest] = b.Size
				if !seen[b.Digest] {
					fresh = append(fresh, b.Digest)
				}
				seen[b.Digest] = true
			}
			slices.Sort(fresh)
			if !slices.Equal(got, fresh) {
				t.Errorf("--layering %s: the push of %s uploaded %d blobs %v, want its %d new ones %v", layering, p.name, len(got), got, len(fresh), fresh)
			}
			t.Logf("--layering %s %s: %d layers, uploaded %d blobs", layering, p.name, len(m.Layers), len(got))
		}
	}
	sum := func(m map[string]int64) (n int64) {
		for _, s := range m {
			n += s
		}
		return n
	}
	ratio := float64(sum(bytes["auto"])) / float64(sum(bytes["none"]))
	t.Logf("registry blob bytes of the 5 images: --layering auto %d, none %d: ratio %.3f (target ≤ 0.85)", sum(bytes["auto"]), sum(bytes["none"]), ratio)
	fmt.Printf("sharing: --layering auto / none registry blob bytes of %d programs = %.3f\n", len(sharedPrograms), ratio)
	if ratio > 0.85 {
		t.Errorf("ratio %.3f > 0.85", ratio)
	}

	for _, p := range sharedPrograms {
		t.Run(p.name, func(t *testing.T) {
			dir := t.TempDir()
			tag := testenv.Name(t) + ":1"
			layout, tar := filepath.Join(dir, "oci"), filepath.Join(dir, "img.tar")
			imageDigest(t, append([]string{"--layering", "auto", "--oci-layout", layout, "--tarball", tar, "--tag", tag}, p.args...)...)
			dockerLoad(t, tar, tag)
			out, errOut, exit := dockerRun(t, tag, p.stdin, nil, nil, p.run...)
			if exit != 0 || !strings.Contains(string(out), p.want) {
				t.Errorf("docker run %s: exit %d, stdout %q, stderr %q; want %q", p.name, exit, out, errOut, p.want)
			}
			got := runUmoci(t, layout+":"+tag, p.stdin, p.run...)
			if got.exit != 0 || !strings.Contains(string(got.stdout), p.want) {
				t.Errorf("umoci+runc %s: exit %d, stdout %q, stderr %q; want %q", p.name, got.exit, got.stdout, got.stderr, p.want)
			}
		})
	}
}

// layerFiles lists the files and links (not directories) of the layer
// digest of the OCI layout dir.
func layerFiles(t *testing.T, dir, digest string) []string {
	t.Helper()
	path := filepath.Join(dir, "blobs", strings.Replace(digest, ":", "/", 1))
	out, errOut, exit := testenv.RunHost(t, []string{testenv.DefaultPath}, "", "tar", "-tzf", path)
	if exit != 0 {
		t.Fatalf("tar -tzf %s: exit %d: %s", path, exit, errOut)
	}
	var files []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" && !strings.HasSuffix(l, "/") {
			files = append(files, l)
		}
	}
	return files
}

// TestImageBaseLeavesOut (Base): on a base that holds libc (an image of
// dash), the image of sqlite3 has a layer without a file of the base's,
// says what it left out (and deps --plan --base lists it), and runs.
func TestImageBaseLeavesOut(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedDocker(t)
	dir := t.TempDir()
	baseLayout := filepath.Join(dir, "base-oci")
	buildImage(t, "--oci-layout", baseLayout, "--tag", "base:1", "/usr/bin/dash")
	var idx struct{ Manifests []struct{ Digest string } }
	readJSON(t, filepath.Join(baseLayout, "index.json"), &idx)
	var bm blobManifest
	readJSON(t, filepath.Join(baseLayout, "blobs", strings.Replace(idx.Manifests[0].Digest, ":", "/", 1)), &bm)
	baseFiles := layerFiles(t, baseLayout, bm.Layers[0].Digest)
	if !slices.Contains(baseFiles, "usr/lib/x86_64-linux-gnu/libc.so.6") {
		t.Fatalf("the base has no libc: %v", baseFiles)
	}

	layout, tar := filepath.Join(dir, "oci"), filepath.Join(dir, "img.tar")
	tag := testenv.Name(t) + ":1"
	stdout, stderr, code := fromscratch(t, "image", "--base", baseLayout+":base:1", "--oci-layout", layout, "--tarball", tar, "--tag", tag, "/usr/bin/sqlite3")
	if code != 0 || !strings.Contains(stderr, "left out") || !strings.Contains(stderr, "that the base "+baseLayout+":base:1 has already") {
		t.Fatalf("fromscratch image --base: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	readJSON(t, filepath.Join(layout, "index.json"), &idx)
	var m blobManifest
	readJSON(t, filepath.Join(layout, "blobs", strings.Replace(idx.Manifests[0].Digest, ":", "/", 1)), &m)
	if len(m.Layers) != 2 || m.Layers[0].Digest != bm.Layers[0].Digest {
		t.Fatalf("layers %+v, want the base's and one", m.Layers)
	}
	files := layerFiles(t, layout, m.Layers[1].Digest)
	for _, f := range files {
		if slices.Contains(baseFiles, f) {
			t.Errorf("the new layer has %s, which the base has", f)
		}
	}
	if !slices.Contains(files, "usr/bin/sqlite3") {
		t.Errorf("the new layer has no sqlite3: %v", files)
	}
	// deps --plan --base lists the same: the base's files last, marked.
	planOut, _, code := fromscratch(t, "deps", "--plan", "--base", baseLayout+":base:1", "/usr/bin/sqlite3")
	if code != 0 || !strings.Contains(planOut, "\nbase     /usr/lib/x86_64-linux-gnu/libc.so.6 (the base has it: left out)\n") ||
		strings.Contains(planOut, "file     0755 /usr/lib/x86_64-linux-gnu/libc.so.6") {
		t.Errorf("deps --plan --base: exit %d\n%s", code, planOut)
	}
	dockerLoad(t, tar, tag)
	out, errOut, exit := dockerRun(t, tag, "", nil, nil, ":memory:", "select 6*7;")
	if exit != 0 || string(out) != "42\n" {
		t.Errorf("docker run: exit %d, stdout %q, stderr %q", exit, out, errOut)
	}
}

func readJSON(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// TestImagePlatformRoots (Multi-arch, Reproducible): curl from this
// machine and from Debian's arm64 sysroot in one index, pushed: skopeo
// shows the index, docker runs the tag as linux/amd64 and linux/arm64;
// the same inputs with the roots in the other order and another
// GOMAXPROCS give the same index digest.
func TestImagePlatformRoots(t *testing.T) {
	testenv.NeedRoot(t)
	reg := testenv.NeedRegistry(t)
	testenv.NeedDocker(t)
	testenv.NeedCommand(t, "skopeo")
	if runtime.GOARCH != "amd64" {
		t.Skip("the host is not amd64")
	}
	root := testenv.Arm64Sysroot(t)
	testenv.EnableQemuArm64(t)
	ref := reg + "/" + testenv.Name(t) + ":multi"
	dir := t.TempDir()
	layout, tar := filepath.Join(dir, "oci"), filepath.Join(dir, "img.tar")
	digest := imageDigest(t, "--layering", "auto", "--platform-root", "linux/amd64=/", "--platform-root", "linux/arm64="+root,
		"--push", ref, "--oci-layout", layout, "--tarball", tar, "--tag", "multi:1", "/usr/bin/curl")

	var idx struct {
		MediaType string
		Manifests []struct {
			Digest   string
			Platform struct{ Architecture, OS string }
		}
	}
	skopeoJSON(t, &idx, "inspect", "--raw", "--tls-verify=false", "docker://"+ref)
	if idx.MediaType != "application/vnd.oci.image.index.v1+json" || len(idx.Manifests) != 2 ||
		idx.Manifests[0].Platform.Architecture != "amd64" || idx.Manifests[1].Platform.Architecture != "arm64" {
		t.Fatalf("skopeo inspect --raw: %+v, want an OCI index of amd64 and arm64", idx)
	}
	var top struct {
		Manifests []struct{ Digest, MediaType string }
	}
	readJSON(t, filepath.Join(layout, "index.json"), &top)
	if len(top.Manifests) != 1 || top.Manifests[0].Digest != digest || top.Manifests[0].MediaType != idx.MediaType {
		t.Errorf("layout index.json %+v, want the index %s", top, digest)
	}
	for _, platform := range []string{"linux/amd64", "linux/arm64"} {
		mustDocker(t, "pull", "--platform", platform, ref)
		out, errOut, exit := dockerRun(t, ref, "", []string{"--platform", platform}, nil, "--version")
		if exit != 0 || !strings.Contains(string(out), "libcurl") {
			t.Errorf("docker run --platform %s %s: exit %d, stdout %q, stderr %q", platform, ref, exit, out, errOut)
		}
		testenv.Docker(t, "rmi", ref)
	}
	// The tarball holds the host's image.
	dockerLoad(t, tar, "multi:1")
	if out, _, exit := dockerRun(t, "multi:1", "", nil, nil, "--version"); exit != 0 || !strings.Contains(string(out), "libcurl") {
		t.Errorf("docker run of the tarball: exit %d, stdout %q", exit, out)
	}

	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	again := imageDigest(t, "--layering", "auto", "--platform-root", "linux/arm64="+root, "--platform-root", "linux/amd64=/",
		"--oci-layout", filepath.Join(dir, "again"), "/usr/bin/curl")
	if again != digest {
		t.Errorf("index digest %s, then %s with the roots in the other order and GOMAXPROCS 1", digest, again)
	}
}

// TestImagePlatformRootsOnBase: with --platform-root, --base names an
// index, and each platform's image is built on the base's image of its
// platform, leaving out what that has.
func TestImagePlatformRootsOnBase(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the host is not amd64")
	}
	root := testenv.Arm64Sysroot(t)
	dir := t.TempDir()
	base, layout := filepath.Join(dir, "base"), filepath.Join(dir, "oci")
	roots := []string{"--platform-root", "linux/amd64=/", "--platform-root", "linux/arm64=" + root}
	imageDigest(t, append(roots, "--oci-layout", base, "--tag", "b:1", "/bin/dash")...)
	args := append(append([]string{"image", "--base", base + ":b:1", "--oci-layout", layout}, roots...), "/usr/bin/curl")
	_, stderr, code := fromscratch(t, args...)
	if code != 0 {
		t.Fatalf("fromscratch %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		if !strings.Contains(stderr, "that the base "+base+":b:1 ("+p+") has already") {
			t.Errorf("no left-out line for %s:\n%s", p, stderr)
		}
	}
}

// TestLayerFlagsBadInput: bad --layering, --platform-root and deps --base
// give one line, exit 2, and write nothing. /bin/true needs no warning.
func TestLayerFlagsBadInput(t *testing.T) {
	dir := t.TempDir()
	layout := filepath.Join(dir, "oci")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--layering", "bogus"}, `--layering "bogus": want none or auto`},
		{[]string{"--platform-root", "linux/amd64"}, `--platform-root "linux/amd64": want OS/ARCH[/VARIANT]=DIR`},
		{[]string{"--platform-root", "linux/amd64=/", "--platform", "linux/amd64"}, "--platform and --platform-root exclude each other"},
		{[]string{"--platform-root", "linux/arm64=/"}, "--platform-root linux/arm64=/: the programs there are linux/" + runtime.GOARCH},
		{[]string{"--platform-root", "linux/amd64=" + filepath.Join(dir, "none")}, "root " + filepath.Join(dir, "none")},
		{[]string{"--platform-root", "linux/amd64=/", "--platform-root", "linux/amd64=/"}, "linux/amd64 given twice"},
		{[]string{"--platform-root", "linux/amd64=/", "--root", "/"}, "--root and --platform-root exclude each other"},
	} {
		_, stderr, code := fromscratch(t, append(append([]string{"image", "--oci-layout", layout}, tc.args...), "/bin/true")...)
		oneLineError(t, stderr, code, tc.want)
		emptyDir(t, dir)
	}
	_, stderr, code := fromscratch(t, "deps", "--base", "x", "/bin/true")
	oneLineError(t, stderr, code, "--base goes with --plan")
	_, stderr, code = fromscratch(t, "deps", "--plan", "--base", filepath.Join(dir, "none"), "/bin/true")
	oneLineError(t, stderr, code, "base "+filepath.Join(dir, "none"))
}
