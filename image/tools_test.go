package image

// Tests that check the images with the tools that will read them: skopeo,
// GNU tar, umoci and runc, the Docker daemon, a registry. They skip when a
// tool or service is missing, and fail instead under CI (internal/testenv).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// busyboxCmd is what the busybox images run: it shows the entrypoint,
// the Cmd, the environment and the user all arrived.
var busyboxCmd = []string{"sh", "-c", "echo hi from busybox; echo $GREETING; busybox id -u"}

type busyboxKey struct {
	user        string
	compression compression.Compression
}

var busyboxImages = struct {
	sync.Mutex
	built map[busyboxKey]v1.Image
}{built: map[busyboxKey]v1.Image{}}

// busyboxImage is the image of busyboxPlan running busyboxCmd as user,
// gzip unless zstd, built once per test binary (a build under -race
// takes seconds).
func busyboxImage(t *testing.T, user string, zstd bool) v1.Image {
	t.Helper()
	plan := busyboxPlan(t)
	key := busyboxKey{user, compression.GZip}
	if zstd {
		key.compression = compression.ZStd
	}
	busyboxImages.Lock()
	defer busyboxImages.Unlock()
	if img := busyboxImages.built[key]; img != nil {
		return img
	}
	img, err := Build(plan, WithCmd(busyboxCmd...), WithEnv("GREETING=hello"), WithUser(user), WithCompression(key.compression))
	if err != nil {
		t.Fatal(err)
	}
	busyboxImages.built[key] = img
	return img
}

// busyboxOutput is what busyboxCmd prints as uid.
func busyboxOutput(uid int) string { return fmt.Sprintf("hi from busybox\nhello\n%d\n", uid) }

// command runs argv on the host and returns its standard output, failing
// the test unless it exits 0.
func command(t *testing.T, stdin string, argv ...string) string {
	t.Helper()
	testenv.NeedCommand(t, argv[0])
	stdout, stderr, exit := testenv.RunHost(t, os.Environ(), stdin, argv...)
	if exit != 0 {
		t.Fatalf("%s: exit %d\n%s%s", strings.Join(argv, " "), exit, stdout, stderr)
	}
	return string(stdout)
}

// ociLayout writes img to a new OCI layout tagged tag and returns it.
func ociLayout(t *testing.T, img v1.Image, tag string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "oci")
	if err := WriteOCILayout(img, dir, tag); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestSkopeoInspect(t *testing.T) {
	img := busyboxImage(t, "", false)
	dir := ociLayout(t, img, "bb")
	var inspect struct {
		Digest, Architecture, Os string
		Env, Layers              []string
	}
	if err := json.Unmarshal([]byte(command(t, "", "skopeo", "inspect", "oci:"+dir+":bb")), &inspect); err != nil {
		t.Fatal(err)
	}
	layer := must(must(img.Layers())[0].Digest()).String()
	if inspect.Digest != must(img.Digest()).String() || inspect.Architecture != "amd64" || inspect.Os != "linux" ||
		!slices.Equal(inspect.Env, []string{DefaultPath, "GREETING=hello"}) || !slices.Equal(inspect.Layers, []string{layer}) {
		t.Errorf("skopeo inspect: %+v", inspect)
	}

	var config v1.ConfigFile
	if err := json.Unmarshal([]byte(command(t, "", "skopeo", "inspect", "--config", "oci:"+dir+":bb")), &config); err != nil {
		t.Fatal(err)
	}
	c := config.Config
	if !slices.Equal(c.Entrypoint, []string{"/bin/busybox"}) || !slices.Equal(c.Cmd, busyboxCmd) ||
		config.Created.Unix() != 0 || len(config.History) != 1 || config.History[0].CreatedBy != "fromscratch" ||
		len(config.RootFS.DiffIDs) != 1 || config.RootFS.DiffIDs[0] != must(must(img.Layers())[0].DiffID()) {
		t.Errorf("skopeo inspect --config: %+v", config)
	}
}

// GNU tar lists the layer blob as written: owner 0/0, the epoch, the
// hard link and the symlink, the sticky /tmp.
func TestTarListsLayer(t *testing.T) {
	img := busyboxImage(t, "", false)
	dir := ociLayout(t, img, "bb")
	blob := filepath.Join(dir, "blobs", "sha256", must(must(img.Layers())[0].Digest()).Hex)
	var got []string
	for line := range strings.Lines(command(t, "", "tar", "-tvzf", blob)) {
		f := strings.Fields(line)
		if f[1] != "0/0" || f[3] != "1970-01-01" || f[4] != "00:00" {
			t.Errorf("owner or time: %s", line)
		}
		got = append(got, f[0]+" "+strings.Join(f[5:], " "))
	}
	want := []string{
		"drwxr-xr-x bin/",
		"-rwxr-xr-x bin/busybox",
		"lrwxrwxrwx bin/echo -> busybox",
		"hrwxr-xr-x bin/sh link to bin/busybox",
		"drwxr-xr-x lib/",
		"drwxr-xr-x lib/x86_64-linux-gnu/",
		"-rwxr-xr-x lib/x86_64-linux-gnu/libc.so.6",
		"-rw-r--r-- lib/x86_64-linux-gnu/libresolv.so.2",
		"drwxr-xr-x lib64/",
		"-rwxr-xr-x lib64/ld-linux-x86-64.so.2",
		"drwxrwxrwt tmp/",
	}
	if !slices.Equal(got, want) {
		t.Errorf("tar -tv:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The layer, extracted, is the tree collector.WriteDir writes from the
// same plan: the image and the rootfs cannot disagree.
func TestLayerIsWriteDir(t *testing.T) {
	testenv.NeedRoot(t) // to extract owners and setuid bits as they are
	plan := busyboxPlan(t)
	var p planBuilder
	p.entries, p.seen = plan.Entries, map[string]bool{"/": true}
	for _, e := range plan.Entries {
		p.seen[e.Path] = true
	}
	p.add(file("/etc/setuid", "x", 0o755|fs.ModeSetuid|fs.ModeSetgid))
	p.add(file("/"+strings.Repeat("long/", 40)+"name", "long", 0o600))
	plan = p.plan("/bin/busybox")

	rootfs := filepath.Join(t.TempDir(), "rootfs")
	if err := collector.WriteDir(plan, rootfs); err != nil {
		t.Fatal(err)
	}
	var tarball bytes.Buffer
	if err := WriteTar(plan, &tarball); err != nil {
		t.Fatal(err)
	}
	extracted := t.TempDir()
	command(t, tarball.String(), "tar", "-xpf", "-", "-C", extracted)
	dirList, tarList := testenv.TreeList(t, rootfs), testenv.TreeList(t, extracted)
	if !slices.Equal(dirList, tarList) {
		t.Errorf("WriteDir:\n%s\nlayer:\n%s", strings.Join(dirList, "\n"), strings.Join(tarList, "\n"))
	}
}

// umoci unpacks the image into a runc bundle whose process comes from
// the image config: entrypoint, Cmd, Env, User. umoci 0.4 reads no zstd:
// skopeo recompresses that one (checking it against its diff ID) first.
func TestRuncRun(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "umoci", "runc")
	for _, c := range []struct {
		user string
		uid  int
		zstd bool
	}{{"", 0, false}, {NonRootUser, 65532, false}, {"", 0, true}} {
		dir := ociLayout(t, busyboxImage(t, c.user, c.zstd), "bb")
		if c.zstd {
			gz := filepath.Join(t.TempDir(), "gz")
			command(t, "", "skopeo", "copy", "--quiet", "--dest-compress-format", "gzip", "oci:"+dir+":bb", "oci:"+gz+":bb")
			dir = gz
		}
		bundle := filepath.Join(t.TempDir(), "bundle")
		command(t, "", "umoci", "unpack", "--image", dir+":bb", bundle)
		configPath := filepath.Join(bundle, "config.json")
		var config map[string]any
		if err := json.Unmarshal([]byte(must(os.ReadFile(configPath))), &config); err != nil {
			t.Fatal(err)
		}
		config["process"].(map[string]any)["terminal"] = false
		if err := os.WriteFile(configPath, must(json.Marshal(config)), 0o644); err != nil {
			t.Fatal(err)
		}
		state := t.TempDir()
		out := command(t, "", "runc", "--root", state, "run", "--bundle", bundle, testenv.Name(t))
		if out != busyboxOutput(c.uid) {
			t.Errorf("user %q, zstd %v: runc printed %q, want %q", c.user, c.zstd, out, busyboxOutput(c.uid))
		}
	}
}

// Docker 20.10 loads the docker tarball and runs it.
func TestDockerLoadRun(t *testing.T) {
	testenv.NeedDocker(t)
	tag := testenv.Name(t) + ":1"
	file := filepath.Join(t.TempDir(), "img.tar")
	if err := WriteTarball(busyboxImage(t, "", false), file, tag); err != nil {
		t.Fatal(err)
	}
	docker := func(args ...string) string {
		t.Helper()
		stdout, stderr, exit := testenv.Docker(t, args...)
		if exit != 0 {
			t.Fatalf("docker %s: exit %d\n%s%s", strings.Join(args, " "), exit, stdout, stderr)
		}
		return string(stdout)
	}
	if out := docker("load", "-i", file); !strings.Contains(out, "Loaded image: "+tag) {
		t.Errorf("docker load: %s", out)
	}
	t.Cleanup(func() { testenv.Docker(t, "rmi", tag) })
	if out := docker("run", "--rm", "--network", "none", tag); out != busyboxOutput(0) {
		t.Errorf("docker run printed %q, want %q", out, busyboxOutput(0))
	}
}

// Push to a plain-HTTP registry on 127.0.0.1; skopeo sees the digest;
// LoadBase reads it back, and from an index picks the platform.
func TestRegistry(t *testing.T) {
	reg := testenv.NeedRegistry(t)
	img := busyboxImage(t, "", false)
	ref := reg + "/" + testenv.Name(t) + ":test"
	var progress bytes.Buffer
	d, err := Push(t.Context(), img, ref, WithProgress(&progress))
	if err != nil {
		t.Fatal(err)
	}
	if d.DigestStr() != must(img.Digest()).String() || !strings.HasSuffix(progress.String(), " MB\n") {
		t.Errorf("pushed %s; progress %q", d, progress.String())
	}
	var inspect struct{ Digest string }
	if err := json.Unmarshal([]byte(command(t, "", "skopeo", "inspect", "--tls-verify=false", "docker://"+ref)), &inspect); err != nil {
		t.Fatal(err)
	}
	if inspect.Digest != d.DigestStr() {
		t.Errorf("skopeo sees %s, pushed %s", inspect.Digest, d.DigestStr())
	}
	base, err := LoadBase(t.Context(), ref, amd64)
	if err != nil {
		t.Fatal(err)
	}
	if must(base.Digest()) != must(img.Digest()) {
		t.Errorf("LoadBase gave %s", must(base.Digest()))
	}
	_, err = LoadBase(t.Context(), ref, arm64)
	wantError(t, err, "base "+ref+" is linux/amd64, the programs are linux/arm64/v8")
	t.Logf("progress:\n%s", progress.String())

	// An image on that base, pushed to another repository.
	on, err := Build(newPlan(dir("/etc"), file("/etc/hello", "hello\n", 0o644)), WithBase(base))
	if err != nil {
		t.Fatal(err)
	}
	onRef := reg + "/" + testenv.Name(t) + ":on"
	if _, err := Push(t.Context(), on, onRef); err != nil {
		t.Fatal(err)
	}
	var layers struct{ Layers []string }
	if err := json.Unmarshal([]byte(command(t, "", "skopeo", "inspect", "--tls-verify=false", "docker://"+onRef)), &layers); err != nil {
		t.Fatal(err)
	}
	if len(layers.Layers) != 2 {
		t.Errorf("image on a base has layers %v", layers.Layers)
	}

	// A multi-platform index: the platform's image is picked.
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	want := map[string]v1.Hash{}
	for _, p := range []collector.Platform{amd64, arm64} {
		vp, pimg := v1Platform(p), platformImage(t, p)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: pimg, Descriptor: v1.Descriptor{Platform: &vp}})
		want[p.Architecture] = must(pimg.Digest())
	}
	multi := reg + "/" + testenv.Name(t) + ":multi"
	if err := remote.WriteIndex(must(parseReference(multi)), idx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []collector.Platform{amd64, arm64} {
		got, err := LoadBase(t.Context(), multi, p)
		if err != nil {
			t.Fatal(err)
		}
		if must(got.Digest()) != want[p.Architecture] {
			t.Errorf("%s: got %s", p, must(got.Digest()))
		}
	}
}
