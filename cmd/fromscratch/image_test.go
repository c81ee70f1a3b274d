package main

// The acceptance of 'fromscratch image' as a user meets it: the CLI, called
// in-process, writes images that the real tools read and run — docker load
// and docker run, skopeo, umoci and runc, a registry and docker pull, qemu
// for arm64 — and each program in an image behaves as on the host.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// An imageProgram is a command to run in an image of progs and on the
// host, comparing standard output, exit status and, where stderr says so,
// standard error.
type imageProgram struct {
	name   string
	progs  []string // the FILE arguments; the first is the default entrypoint
	argv   []string // argv[0] is progs[0], the entrypoint of the program's own image
	stdin  string
	env    []string // given with docker run -e, and to the host run
	flags  []string // more flags for the image of this program alone
	stderr bool
	clean  []string // host paths the command creates, removed around the host run
	own    bool     // also build an image of this program alone
}

const imageText = "The quick brown fox jumps over the lazy dog.\nÀ bientôt, 10 € !\n"

var imageGitEnv = []string{
	"HOME=/tmp", "GIT_CONFIG_NOSYSTEM=1",
	"GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.org", "GIT_AUTHOR_DATE=@0 +0000",
	"GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@example.org", "GIT_COMMITTER_DATE=@0 +0000",
}

var imagePrograms = []imageProgram{
	{name: "bash", own: true, progs: []string{"/usr/bin/bash"}, stderr: true,
		argv: []string{"/usr/bin/bash", "-c", `echo $((6*7)) ${BASH_VERSINFO[0]}; type -t cd; declare -A m=([k]=v); echo ${m[k]}; echo to stderr >&2; exit 3`}},
	{name: "dash", own: true, progs: []string{"/usr/bin/dash"}, stdin: "line\n", stderr: true,
		argv: []string{"/usr/bin/dash", "-c", `x=12; echo $((x*x)) ${#x}; read a; echo "[$a]"`}},
	{name: "gzip", progs: []string{"/usr/bin/gzip"}, stdin: imageText, stderr: true,
		argv: []string{"/usr/bin/gzip", "-c", "-n", "-9"}},
	{name: "gzip bad input", own: true, progs: []string{"/usr/bin/gzip"}, stdin: "not gzip\n", stderr: true,
		argv: []string{"/usr/bin/gzip", "-d", "-c"}},
	{name: "compressor round trip", progs: []string{"/usr/bin/dash", "/usr/bin/gzip", "/usr/bin/xz", "/usr/bin/zstd"}, stdin: imageText, stderr: true,
		argv: []string{"/usr/bin/dash", "-c", "gzip -c | xz -c | zstd -q -c | zstd -q -dc | xz -dc | gzip -dc"}},
	{name: "sqlite3", own: true, progs: []string{"/usr/bin/sqlite3"}, stderr: true,
		argv: []string{"/usr/bin/sqlite3", ":memory:", "select 1+1; select upper('abc'); select sqlite_version();"}},
	{name: "jq", own: true, progs: []string{"/usr/bin/jq"}, stdin: `{"a":[1,2,3]}`, stderr: true,
		argv: []string{"/usr/bin/jq", "-c", ".a|map(.*2)"}},
	{name: "gawk", progs: []string{"/usr/bin/gawk"}, stderr: true,
		argv: []string{"/usr/bin/gawk", `BEGIN { print 6*7, toupper("abc"), strftime("%Y", 0, 1) }`}},
	{name: "openssl version", progs: []string{"/usr/bin/openssl"}, stderr: true,
		argv: []string{"/usr/bin/openssl", "version", "-a"}},
	{name: "openssl dgst", progs: []string{"/usr/bin/openssl"}, stdin: imageText, stderr: true,
		argv: []string{"/usr/bin/openssl", "dgst", "-sha256"}},
	{name: "curl", progs: []string{"/usr/bin/curl"}, stderr: true,
		argv: []string{"/usr/bin/curl", "--version"}},
	{name: "id", own: true, progs: []string{"/usr/bin/id"}, stderr: true,
		argv: []string{"/usr/bin/id", "-un"}},
	{name: "stat", own: true, progs: []string{"/usr/bin/stat"}, stderr: true,
		argv: []string{"/usr/bin/stat", "-c", "%U:%G %a %F", "/usr/bin/stat", "/"}},
	{name: "iconv od", own: true, progs: []string{"/usr/bin/dash", "/usr/bin/iconv", "/usr/bin/od"}, stdin: imageText, stderr: true,
		argv: []string{"/usr/bin/dash", "-c", "iconv -f UTF-8 -t CP1252 | od -An -c"}},
	{name: "date TZ", own: true, progs: []string{"/usr/bin/date"}, env: []string{"TZ=Europe/Paris"}, flags: []string{"--tzdata"}, stderr: true,
		argv: []string{"/usr/bin/date", "-d", "@0", "+%F %T %Z"}},
	{name: "tree", progs: []string{"/usr/bin/tree"}, flags: []string{"--tzdata"}, stderr: true,
		argv: []string{"/usr/bin/tree", "-a", "--noreport", "/usr/share/zoneinfo/Arctic"}},
	{name: "git", progs: []string{"/usr/bin/dash", "/usr/bin/git"}, env: imageGitEnv, clean: []string{"/tmp/fromscratch-image-git"},
		argv: []string{"/usr/bin/dash", "-c", `git --version && git init -q /tmp/fromscratch-image-git && cd /tmp/fromscratch-image-git && echo hi >f && git add f && git commit -q -m first && git log --format='%H %an %s'`}},
	{name: "lua5.4", own: true, progs: []string{"/usr/bin/lua5.4"}, stderr: true,
		argv: []string{"/usr/bin/lua5.4", "-e", `print(2^10, string.format("%q", "x\ty"), #arg)`}},
}

// result is what a command printed and its exit status.
type result struct {
	stdout, stderr []byte
	exit           int
}

// differs says how got differs from the host's want, or "".
func (want result) differs(got result, stderr bool) string {
	var b strings.Builder
	show := func(what string, w, g []byte) {
		if !bytes.Equal(w, g) {
			fmt.Fprintf(&b, "  %s on the host: %q\n  %s in the image: %q\n", what, clip(w), what, clip(g))
		}
	}
	if want.exit != got.exit {
		fmt.Fprintf(&b, "  exit on the host %d, in the image %d\n", want.exit, got.exit)
	}
	show("stdout", want.stdout, got.stdout)
	if stderr {
		show("stderr", want.stderr, got.stderr)
	}
	return b.String()
}

func clip(b []byte) []byte {
	if len(b) > 2000 {
		return append(b[:2000:2000], "…"...)
	}
	return b
}

// hostResult runs the program on the host with the environment a
// container of its image has (PATH and its own env).
func (p imageProgram) hostResult(t *testing.T) result {
	t.Helper()
	for _, path := range p.clean {
		os.RemoveAll(path)
	}
	defer func() {
		for _, path := range p.clean {
			os.RemoveAll(path)
		}
	}()
	stdout, stderr, exit := testenv.RunHost(t, append([]string{testenv.DefaultPath}, p.env...), p.stdin, p.argv...)
	return result{stdout, stderr, exit}
}

// mustDocker runs the docker client on the test daemon and returns its
// standard output, failing the test unless it exits 0.
func mustDocker(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, exit := testenv.Docker(t, args...)
	if exit != 0 {
		t.Fatalf("docker %s: exit %d\n%s%s", strings.Join(args, " "), exit, stdout, stderr)
	}
	return string(stdout)
}

// dockerRun runs the program in the image img (dockerRun of trace_test.go:
// docker run --rm --network none); with entrypoint, argv[0] replaces the
// image's entrypoint.
func (p imageProgram) dockerRun(t *testing.T, img string, entrypoint bool, flags ...string) result {
	t.Helper()
	if entrypoint {
		flags = append(flags, "--entrypoint", p.argv[0])
	}
	stdout, stderr, exit := dockerRun(t, img, p.stdin, flags, p.env, p.argv[1:]...)
	return result{stdout, stderr, exit}
}

// buildImage runs fromscratch image with args and returns the digest it
// printed, failing the test unless it succeeded.
func buildImage(t *testing.T, args ...string) string {
	t.Helper()
	start := time.Now()
	stdout, stderr, code := fromscratch(t, append([]string{"image"}, args...)...)
	if code != 0 {
		t.Fatalf("fromscratch image %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	digest := strings.TrimSpace(stdout)
	if !strings.HasPrefix(digest, "sha256:") || len(digest) != len("sha256:")+64 {
		t.Fatalf("fromscratch image printed %q, want a digest", stdout)
	}
	t.Logf("fromscratch image %s: %s in %v", strings.Join(args, " "), digest, time.Since(start).Round(time.Millisecond))
	return digest
}

// TestImageDockerPrograms builds images of real programs, loads them into
// docker and runs them: once all in one image, sharing their libraries,
// with the entrypoint given to docker run; once each in its own image, run
// through its default entrypoint.
func TestImageDockerPrograms(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedDocker(t)
	var progs []string
	for _, p := range imagePrograms {
		for _, prog := range p.progs {
			testenv.NeedCommand(t, prog)
			if !slices.Contains(progs, prog) {
				progs = append(progs, prog)
			}
		}
	}
	want := make([]result, len(imagePrograms))
	own := 0
	for i, p := range imagePrograms {
		want[i] = p.hostResult(t)
		if p.own {
			own++
		}
	}

	var mu sync.Mutex
	passed := map[string]int{}
	check := func(t *testing.T, kind string, i int, got result) {
		p := imagePrograms[i]
		if d := want[i].differs(got, p.stderr); d != "" {
			t.Errorf("%s: %q differs from the host's:\n%s", kind, p.argv, d)
			return
		}
		mu.Lock()
		passed[kind]++
		mu.Unlock()
	}

	t.Run("one image", func(t *testing.T) {
		start := time.Now()
		dir := t.TempDir()
		ref := testenv.Name(t) + ":1"
		tar := filepath.Join(dir, "img.tar")
		buildImage(t, append([]string{"--tarball", tar, "--tag", ref, "--tzdata"}, progs...)...)
		dockerLoad(t, tar, ref)
		t.Run("run", func(t *testing.T) {
			for i, p := range imagePrograms {
				t.Run(p.name, func(t *testing.T) {
					t.Parallel()
					check(t, "one image", i, p.dockerRun(t, ref, true))
				})
			}
		})
		t.Logf("%d programs in one image: %v", len(progs), time.Since(start).Round(time.Millisecond))
	})

	t.Run("own images", func(t *testing.T) {
		start := time.Now()
		dir := t.TempDir()
		refs := make([]string, len(imagePrograms))
		for i, p := range imagePrograms {
			if !p.own {
				continue
			}
			refs[i] = testenv.Name(t) + ":1"
			tar := filepath.Join(dir, fmt.Sprintf("%d.tar", i))
			args := append([]string{"--tarball", tar, "--tag", refs[i]}, p.flags...)
			buildImage(t, append(args, p.progs...)...)
		}
		t.Run("run", func(t *testing.T) {
			for i, p := range imagePrograms {
				if !p.own {
					continue
				}
				t.Run(p.name, func(t *testing.T) {
					t.Parallel()
					dockerLoad(t, filepath.Join(dir, fmt.Sprintf("%d.tar", i)), refs[i])
					check(t, "own images", i, p.dockerRun(t, refs[i], false))
				})
			}
		})
		t.Logf("%d images: %v", own, time.Since(start).Round(time.Millisecond))
	})

	t.Logf("docker: programs passed %d/%d in one image of %d programs, %d/%d in their own images",
		passed["one image"], len(imagePrograms), len(progs), passed["own images"], own)
}

// skopeoJSON runs skopeo with args and decodes the JSON it prints into v.
func skopeoJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	testenv.NeedCommand(t, "skopeo")
	stdout, stderr, exit := testenv.RunHost(t, []string{testenv.DefaultPath}, "", append([]string{"skopeo"}, args...)...)
	if exit != 0 {
		t.Fatalf("skopeo %s: exit %d\n%s", strings.Join(args, " "), exit, stderr)
	}
	if err := json.Unmarshal(stdout, v); err != nil {
		t.Fatalf("skopeo %s: %v\n%s", strings.Join(args, " "), err, stdout)
	}
}

// inspect is what skopeo inspect prints.
type inspect struct {
	Digest       string
	Architecture string
	Os           string
	Layers       []string
	Env          []string
	Labels       map[string]string
}

// imageConfig is what skopeo inspect --config prints.
type imageConfig struct {
	Architecture string
	OS           string
	Variant      string
	Created      time.Time
	Config       struct {
		Entrypoint, Cmd, Env []string
		User, WorkingDir     string
		Labels               map[string]string
	}
}

// manifest is what skopeo inspect --raw prints of an image.
type manifest struct {
	MediaType   string
	Layers      []struct{ Digest string }
	Annotations map[string]string
}

// TestImageOCILayout writes OCI layouts and checks them with skopeo, then
// unpacks them with umoci and runs them with runc.
func TestImageOCILayout(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "skopeo", "umoci", "runc")

	t.Run("defaults", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "oci")
		digest := buildImage(t, "--oci-layout", dir, "--tag", "t", "/usr/bin/dash", "/usr/bin/id")
		var in inspect
		skopeoJSON(t, &in, "inspect", "oci:"+dir+":t")
		if in.Os != "linux" || in.Architecture != "amd64" || in.Digest != digest || len(in.Layers) != 1 {
			t.Errorf("skopeo inspect: %+v, want linux/amd64, digest %s, one layer", in, digest)
		}
		var cf imageConfig
		skopeoJSON(t, &cf, "inspect", "--config", "oci:"+dir+":t")
		c := cf.Config
		if !slices.Equal(c.Entrypoint, []string{"/usr/bin/dash"}) || c.Cmd != nil || c.User != "" || c.WorkingDir != "" ||
			!slices.Equal(c.Env, []string{testenv.DefaultPath}) || cf.OS != "linux" || cf.Architecture != "amd64" || cf.Created.Unix() != 0 {
			t.Errorf("skopeo inspect --config: %+v, want the first program as entrypoint and only PATH", cf)
		}
		got := runUmoci(t, dir+":t", "", "-c", "echo $0; id")
		if want := "/usr/bin/dash\nuid=0(root) gid=0(root) groups=0(root)\n"; got.exit != 0 || string(got.stdout) != want {
			t.Errorf("umoci and runc: exit %d, stdout %q, want %q; stderr %q", got.exit, got.stdout, want, got.stderr)
		}
	})

	t.Run("config flags", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "oci")
		buildImage(t, "--oci-layout", dir, "--tag", "cfg",
			"--entrypoint", "/usr/bin/dash,-c", "--cmd", "echo $K $L $PWD; id -u; id -g; cat",
			"--env", "K=V", "--env", "L=a b", "--user", "1000:1001", "--workdir", "/usr/bin",
			"--label", "org.example.label=one", "--label", "two=2",
			"--annotation", "org.example.note=three",
			"/usr/bin/dash", "/usr/bin/id", "/usr/bin/cat")
		var cf imageConfig
		skopeoJSON(t, &cf, "inspect", "--config", "oci:"+dir+":cfg")
		c := cf.Config
		if !slices.Equal(c.Entrypoint, []string{"/usr/bin/dash", "-c"}) ||
			!slices.Equal(c.Cmd, []string{"echo $K $L $PWD; id -u; id -g; cat"}) ||
			!slices.Equal(c.Env, []string{testenv.DefaultPath, "K=V", "L=a b"}) ||
			c.User != "1000:1001" || c.WorkingDir != "/usr/bin" ||
			len(c.Labels) != 2 || c.Labels["org.example.label"] != "one" || c.Labels["two"] != "2" {
			t.Errorf("skopeo inspect --config: %+v", c)
		}
		var m manifest
		skopeoJSON(t, &m, "inspect", "--raw", "oci:"+dir+":cfg")
		if m.Annotations["org.example.note"] != "three" || m.MediaType != "application/vnd.oci.image.manifest.v1+json" {
			t.Errorf("skopeo inspect --raw: %+v, want the annotation org.example.note=three", m)
		}
		got := runUmoci(t, dir+":cfg", "stdin\n")
		if want := "V a b /usr/bin\n1000\n1001\nstdin\n"; got.exit != 0 || string(got.stdout) != want {
			t.Errorf("umoci and runc: exit %d, stdout %q, want %q; stderr %q", got.exit, got.stdout, want, got.stderr)
		}
	})

	t.Run("nonroot", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "oci")
		t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
		buildImage(t, "--oci-layout", dir, "--tag", "nr", "--nonroot", "--entrypoint", "/usr/bin/id", "/usr/bin/id")
		var cf imageConfig
		skopeoJSON(t, &cf, "inspect", "--config", "oci:"+dir+":nr")
		if cf.Config.User != "65532:65532" {
			t.Errorf("--nonroot: user %q, want 65532:65532", cf.Config.User)
		}
		if cf.Created.Unix() != 1700000000 {
			t.Errorf("created %v with SOURCE_DATE_EPOCH=1700000000", cf.Created)
		}
		got := runUmoci(t, dir+":nr", "", "-u")
		if got.exit != 0 || string(got.stdout) != "65532\n" {
			t.Errorf("umoci and runc: exit %d, stdout %q, want 65532; stderr %q", got.exit, got.stdout, got.stderr)
		}
	})

	t.Run("two tags in one layout", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "oci")
		d1 := buildImage(t, "--oci-layout", dir, "--tag", "a", "/usr/bin/dash")
		d2 := buildImage(t, "--oci-layout", dir, "--tag", "b", "/usr/bin/id")
		for tag, digest := range map[string]string{"a": d1, "b": d2} {
			var in inspect
			skopeoJSON(t, &in, "inspect", "oci:"+dir+":"+tag)
			if in.Digest != digest {
				t.Errorf("tag %s: digest %s, want %s", tag, in.Digest, digest)
			}
		}
		got := runUmoci(t, dir+":b", "", "-un")
		if got.exit != 0 || string(got.stdout) != "root\n" {
			t.Errorf("umoci and runc of the second tag: exit %d, stdout %q; stderr %q", got.exit, got.stdout, got.stderr)
		}
	})
}

// runUmoci unpacks the image DIR:TAG with umoci into a bundle and runs it
// with runc (terminal false), args appended to the image's Cmd-and-
// entrypoint process args; runc's state is private and deleted after.
func runUmoci(t *testing.T, image, stdin string, args ...string) result {
	t.Helper()
	bundle := filepath.Join(t.TempDir(), "bundle")
	out, stderr, exit := testenv.RunHost(t, []string{testenv.DefaultPath}, "", "umoci", "unpack", "--image", image, bundle)
	if exit != 0 {
		t.Fatalf("umoci unpack --image %s: exit %d\n%s%s", image, exit, out, stderr)
	}
	path := filepath.Join(bundle, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	process := spec["process"].(map[string]any)
	process["terminal"] = false
	if len(args) > 0 {
		process["args"] = append(process["args"].([]any), anySlice(args)...)
	}
	if data, err = json.Marshal(spec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	state, id := t.TempDir(), testenv.Name(t)
	t.Cleanup(func() {
		testenv.RunHost(t, []string{testenv.DefaultPath}, "", "runc", "--root", state, "delete", "--force", id)
	})
	out, stderr, exit = testenv.RunHost(t, []string{testenv.DefaultPath}, stdin, "runc", "--root", state, "run", "--bundle", bundle, id)
	return result{out, stderr, exit}
}

func anySlice(s []string) []any {
	a := make([]any, len(s))
	for i, v := range s {
		a[i] = v
	}
	return a
}

// TestImageRegistry pushes to the test registry and pulls with skopeo and
// docker; the printed digest, the digest file and the registry's agree.
func TestImageRegistry(t *testing.T) {
	reg := testenv.NeedRegistry(t)
	testenv.NeedRoot(t)
	testenv.NeedDocker(t)
	dir := t.TempDir()
	ref := reg + "/" + testenv.Name(t) + ":v1"
	file := filepath.Join(dir, "digest")
	digest := buildImage(t, "--push", ref, "--digest-file", file, "/usr/bin/sqlite3")
	if b, err := os.ReadFile(file); err != nil || strings.TrimSpace(string(b)) != digest {
		t.Errorf("--digest-file holds %q (%v), the printed digest is %s", b, err, digest)
	}
	var in inspect
	skopeoJSON(t, &in, "inspect", "--tls-verify=false", "docker://"+ref)
	if in.Digest != digest || in.Architecture != "amd64" || in.Os != "linux" || len(in.Layers) != 1 {
		t.Errorf("skopeo inspect docker://%s: %+v, want digest %s, linux/amd64, one layer", ref, in, digest)
	}

	mustDocker(t, "pull", ref)
	t.Cleanup(func() { testenv.Docker(t, "rmi", ref) })
	if id := strings.TrimSpace(mustDocker(t, "inspect", "--format", "{{index .RepoDigests 0}}", ref)); !strings.HasSuffix(id, "@"+digest) {
		t.Errorf("docker pulled %s, want digest %s", id, digest)
	}
	p := imageProgram{argv: []string{"/usr/bin/sqlite3", ":memory:", "select 6*7;"}}
	got := p.dockerRun(t, ref, false)
	if got.exit != 0 || string(got.stdout) != "42\n" {
		t.Errorf("docker run %s: exit %d, stdout %q, stderr %q", ref, got.exit, got.stdout, got.stderr)
	}

	// By digest too, as the digest file is meant for.
	byDigest := reg + "/" + strings.SplitN(strings.TrimPrefix(ref, reg+"/"), ":", 2)[0] + "@" + digest
	skopeoJSON(t, &in, "inspect", "--tls-verify=false", "docker://"+byDigest)
	if in.Digest != digest {
		t.Errorf("skopeo inspect docker://%s: digest %s", byDigest, in.Digest)
	}
}

// TestImageBase builds on a base image made by fromscratch itself, from an
// OCI layout, a docker tarball and a registry: the base's layer comes
// first and its programs run beside the new ones.
func TestImageBase(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedDocker(t)
	testenv.NeedCommand(t, "skopeo")
	dir := t.TempDir()
	baseLayout, baseTar := filepath.Join(dir, "base-oci"), filepath.Join(dir, "base.tar")
	baseRef := testenv.Name(t) + "-base:1"
	buildImage(t, "--oci-layout", baseLayout, "--tarball", baseTar, "--tag", baseRef,
		"--env", "FROM_BASE=yes", "--label", "base=dash", "/usr/bin/dash")
	var base, baseOCI inspect
	skopeoJSON(t, &base, "inspect", "docker-archive:"+baseTar)
	skopeoJSON(t, &baseOCI, "inspect", "oci:"+baseLayout+":"+baseRef)
	if len(base.Layers) != 1 || len(baseOCI.Layers) != 1 {
		t.Fatalf("base: %d layers in the tarball, %d in the layout", len(base.Layers), len(baseOCI.Layers))
	}

	bases := map[string]string{
		"OCI layout:tag":     baseLayout + ":" + baseRef,
		"OCI layout no tag":  baseLayout,
		"docker tarball":     baseTar,
		"docker tarball:tag": baseTar + ":" + baseRef,
	}
	if reg := os.Getenv("FROMSCRATCH_TEST_REGISTRY"); reg != "" || testenv.InCI() {
		reg = testenv.NeedRegistry(t)
		pushed := reg + "/" + testenv.Name(t) + ":base"
		buildImage(t, "--push", pushed, "--env", "FROM_BASE=yes", "--label", "base=dash", "/usr/bin/dash")
		bases["registry"] = pushed
	}
	for name, ref := range bases {
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			layout, tar := filepath.Join(out, "oci"), filepath.Join(out, "img.tar")
			img := testenv.Name(t) + ":1"
			buildImage(t, "--base", ref, "--oci-layout", layout, "--tarball", tar, "--tag", img,
				"--label", "top=sqlite3", "/usr/bin/sqlite3")
			// The docker tarball: an OCI layout of an image on a docker
			// tarball base is TestImageDockerBaseInOCILayout's.
			var in inspect
			skopeoJSON(t, &in, "inspect", "docker-archive:"+tar)
			if len(in.Layers) != 2 || in.Layers[0] != base.Layers[0] {
				t.Errorf("layers %q, want the base's %s and one more", in.Layers, base.Layers[0])
			}
			if !slices.Contains(in.Env, "FROM_BASE=yes") || in.Labels["base"] != "dash" || in.Labels["top"] != "sqlite3" {
				t.Errorf("env %q and labels %v, want the base's and ours", in.Env, in.Labels)
			}
			var cf imageConfig
			skopeoJSON(t, &cf, "inspect", "--config", "docker-archive:"+tar)
			if !slices.Equal(cf.Config.Entrypoint, []string{"/usr/bin/sqlite3"}) {
				t.Errorf("entrypoint %q, want /usr/bin/sqlite3", cf.Config.Entrypoint)
			}
			if !strings.HasPrefix(name, "docker tarball") {
				var lin inspect
				skopeoJSON(t, &lin, "inspect", "oci:"+layout+":"+img)
				if len(lin.Layers) != 2 || lin.Layers[0] != baseOCI.Layers[0] {
					t.Errorf("OCI layout: layers %q, want the base's %s and one more", lin.Layers, baseOCI.Layers[0])
				}
			}
			dockerLoad(t, tar, img)
			p := imageProgram{argv: []string{"/usr/bin/dash", "-c", `echo $FROM_BASE; sqlite3 :memory: 'select 6*7;'`}}
			if got := p.dockerRun(t, img, true); got.exit != 0 || string(got.stdout) != "yes\n42\n" {
				t.Errorf("docker run: exit %d, stdout %q, stderr %q", got.exit, got.stdout, got.stderr)
			}
		})
	}
}

// arm64Image writes an OCI layout, and a docker tarball unless tar is
// empty, of programs of the arm64 sysroot root, tagged ref.
func arm64Image(t *testing.T, root, layout, tar, ref string, progs ...string) string {
	t.Helper()
	args := []string{"--root", root, "--oci-layout", layout, "--tag", ref}
	if tar != "" {
		args = append(args, "--tarball", tar)
	}
	return buildImage(t, append(args, progs...)...)
}

// TestImageArm64 builds an image from Debian's arm64 sysroot and runs it
// in docker under qemu, as it runs in a chroot of the sysroot.
func TestImageArm64(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedDocker(t)
	testenv.NeedCommand(t, "skopeo")
	root := testenv.Arm64Sysroot(t)
	testenv.EnableQemuArm64(t)
	dir := t.TempDir()
	layout, tar := filepath.Join(dir, "oci"), filepath.Join(dir, "img.tar")
	ref := testenv.Name(t) + ":1"
	arm64Image(t, root, layout, tar, ref, "/bin/bash", "/bin/gzip", "/bin/ls", "/usr/bin/openssl")

	var cf imageConfig
	skopeoJSON(t, &cf, "inspect", "--config", "oci:"+layout+":"+ref)
	if cf.OS != "linux" || cf.Architecture != "arm64" || cf.Variant != "v8" || !slices.Equal(cf.Config.Entrypoint, []string{"/bin/bash"}) {
		t.Errorf("config: %s/%s/%s, entrypoint %q; want linux/arm64/v8 and /bin/bash", cf.OS, cf.Architecture, cf.Variant, cf.Config.Entrypoint)
	}
	dockerLoad(t, tar, ref)
	passed := 0
	progs := []imageProgram{
		{argv: []string{"/bin/bash", "-c", `echo ${BASH_VERSINFO[5]} $((6*7)); echo err >&2; exit 4`}},
		{argv: []string{"/bin/gzip", "-c", "-n"}, stdin: imageText},
		{argv: []string{"/bin/ls", "-ln", "--time-style=+", "/bin/gzip", "/usr/bin/openssl"}},
		{argv: []string{"/usr/bin/openssl", "dgst", "-sha256"}, stdin: imageText},
	}
	for _, p := range progs {
		out, errOut, exit := testenv.RunChroot(t, root, []string{testenv.DefaultPath}, p.stdin, p.argv...)
		want := result{out, errOut, exit}
		got := p.dockerRun(t, ref, true, "--platform", "linux/arm64")
		if d := want.differs(got, true); d != "" {
			t.Errorf("docker run --platform linux/arm64 %q differs from chroot %s:\n%s", p.argv, root, d)
		} else {
			passed++
		}
	}
	t.Logf("arm64: programs passed %d/%d", passed, len(progs))
}

// TestImageReproducible builds the same image twice with different
// GOMAXPROCS, TMPDIR and output directories: the digests, the tarballs and
// the layouts are the same.
func TestImageReproducible(t *testing.T) {
	progs := []string{"/usr/bin/dash", "/usr/bin/sqlite3"}
	testenv.NeedCommand(t, progs...)
	var digests, tars, layouts []string
	for i, procs := range []int{1, 4} {
		t.Setenv("TMPDIR", t.TempDir())
		old := runtime.GOMAXPROCS(procs)
		dir := filepath.Join(t.TempDir(), fmt.Sprint("out", i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		layout, tar := filepath.Join(dir, "oci"), filepath.Join(dir, "img.tar")
		digests = append(digests, buildImage(t, append([]string{"--oci-layout", layout, "--tarball", tar, "--tag", "r:1", "--tzdata"}, progs...)...))
		runtime.GOMAXPROCS(old)
		b, err := os.ReadFile(tar)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		tars = append(tars, hex.EncodeToString(sum[:]))
		layouts = append(layouts, testenv.TreeDigest(t, layout))
	}
	if digests[0] != digests[1] {
		t.Errorf("digests differ: %s with GOMAXPROCS=1, %s with 4", digests[0], digests[1])
	}
	if tars[0] != tars[1] {
		t.Errorf("tarballs differ: sha256 %s and %s", tars[0], tars[1])
	}
	if layouts[0] != layouts[1] {
		t.Errorf("OCI layouts differ: %s and %s", layouts[0], layouts[1])
	}
}

// TestImageBadInput adds to TestBadInput and TestUnwritableOutput what
// needs a service, a mount or an arm64 image: one line on stderr, exit 2,
// and nothing left of any output. The program is /bin/true, which gives no
// warnings, so stderr holds only the error.
func TestImageBadInput(t *testing.T) {
	out := t.TempDir()
	tar, layout, digest := filepath.Join(out, "img.tar"), filepath.Join(out, "oci"), filepath.Join(out, "digest")
	all := []string{"--tarball", tar, "--oci-layout", layout, "--digest-file", digest}
	notLayout := filepath.Join(t.TempDir(), "notlayout")
	os.Mkdir(notLayout, 0o755)
	os.WriteFile(filepath.Join(notLayout, "file"), []byte("x"), 0o644)
	baseLayout := filepath.Join(t.TempDir(), "base")
	buildImage(t, "--oci-layout", baseLayout, "--tag", "base", "/bin/true")

	type badCase struct {
		name string
		args []string
		want []string
	}
	cases := []badCase{
		{"unreachable registry", append([]string{"--push", "127.0.0.1:1/x:y"}, all...), []string{"127.0.0.1:1/x:y", "connection refused"}},
		{"unreachable base", append([]string{"--base", "127.0.0.1:1/x:y"}, all...), []string{"base 127.0.0.1:1/x:y"}},
		{"no such base", append([]string{"--base", "/no/such/base"}, all...), []string{"/no/such/base", "no such file"}},
		{"base not an image", append([]string{"--base", "/etc/passwd"}, all...), []string{"/etc/passwd", "not a docker tarball"}},
		{"base directory not a layout", append([]string{"--base", notLayout + ":x"}, all...), []string{notLayout, "not an OCI layout"}},
		{"base layout without the tag", append([]string{"--base", baseLayout + ":nosuchtag"}, all...), []string{baseLayout, "nosuchtag"}},
		{"layout not a layout", []string{"--oci-layout", notLayout, "--tarball", tar}, []string{notLayout, "not an OCI layout"}},
		{"bad tarball tag", append([]string{"--tag", "Bad Tag!!"}, all...), []string{"Bad Tag!!"}},
		{"env without value", append([]string{"--env", "K"}, all...), []string{"--env", `"K"`}},
		{"label without key", append([]string{"--label", "=v"}, all...), []string{"--label"}},
		{"annotation without =", append([]string{"--annotation", "k"}, all...), []string{"--annotation"}},
		{"nonroot and user", append([]string{"--nonroot", "--user", "1"}, all...), []string{"--nonroot", "--user"}},
		{"bad compression", append([]string{"--compression", "lz4"}, all...), []string{"lz4"}},
	}
	ro := ""
	if os.Geteuid() == 0 {
		// A read-only filesystem stops root too, where file modes do not.
		ro = filepath.Join(t.TempDir(), "ro")
		os.Mkdir(ro, 0o755)
		if err := mountReadOnly(t, ro); err != nil {
			testenv.Unavailable(t, "a read-only mount: %v", err)
		}
		cases = append(cases,
			badCase{"unwritable digest file", append([]string{"--digest-file", filepath.Join(ro, "d")}, all[:4]...), []string{ro}},
			badCase{"unwritable layout beside a tarball", []string{"--tarball", tar, "--oci-layout", filepath.Join(ro, "oci")}, []string{ro}},
			badCase{"unwritable tarball beside a layout", []string{"--oci-layout", layout, "--tarball", filepath.Join(ro, "t.tar")}, []string{ro}},
		)
		t.Cleanup(func() { emptyDir(t, ro) })
	}
	notPushed := ""
	if testenv.InCI() || os.Getenv("FROMSCRATCH_TEST_REGISTRY") != "" {
		reg := testenv.NeedRegistry(t)
		cases = append(cases, badCase{"no such image in the registry as base",
			append([]string{"--base", reg + "/no-such-image:x"}, all...), []string{reg + "/no-such-image:x"}})
		if ro != "" {
			// Registries are written last: a failed local output pushes nothing.
			notPushed = reg + "/" + testenv.Name(t) + ":never"
			cases = append(cases, badCase{"push beside an unwritable layout",
				[]string{"--push", notPushed, "--oci-layout", filepath.Join(ro, "oci")}, []string{ro}})
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := fromscratch(t, append(append([]string{"image"}, tc.args...), "/bin/true")...)
			oneLineError(t, stderr, code, tc.want...)
			emptyDir(t, out)
		})
	}
	if ents, err := os.ReadDir(notLayout); err != nil || len(ents) != 1 || ents[0].Name() != "file" {
		t.Errorf("the directory that is not a layout was changed: %v %v", ents, err)
	}
	if notPushed != "" {
		testenv.NeedCommand(t, "skopeo")
		if out, _, exit := testenv.RunHost(t, []string{testenv.DefaultPath}, "", "skopeo", "inspect", "--tls-verify=false", "docker://"+notPushed); exit == 0 {
			t.Errorf("a failed run pushed %s:\n%s", notPushed, out)
		}
	}

	t.Run("base of another architecture", func(t *testing.T) {
		root := testenv.Arm64Sysroot(t)
		armLayout := filepath.Join(t.TempDir(), "arm")
		arm64Image(t, root, armLayout, "", "arm", "/bin/dash")
		for _, base := range []string{armLayout, armLayout + ":arm"} {
			_, stderr, code := fromscratch(t, append([]string{"image", "--base", base}, append(all, "/bin/true")...)...)
			oneLineError(t, stderr, code, base, "arm64", "amd64")
			emptyDir(t, out)
		}
		// The other way round: an amd64 base under arm64 programs.
		amdLayout := filepath.Join(t.TempDir(), "amd")
		buildImage(t, "--oci-layout", amdLayout, "/bin/true")
		_, stderr, code := fromscratch(t, append([]string{"image", "--root", root, "--base", amdLayout}, append(all, "/bin/dash")...)...)
		oneLineError(t, stderr, code, amdLayout, "arm64", "amd64")
		emptyDir(t, out)
	})
}

// TestImageLayoutTagIsARefName: the tag of an OCI layout is written as its
// org.opencontainers.image.ref.name, which skopeo and umoci must parse; a
// tag outside that grammar is refused, as the tarball refuses it, rather
// than written where no tool can name it.
func TestImageLayoutTagIsARefName(t *testing.T) {
	out := t.TempDir()
	_, stderr, code := fromscratch(t, "image", "--oci-layout", filepath.Join(out, "oci"), "--tag", "Bad!!", "/bin/true")
	oneLineError(t, stderr, code, "Bad!!")
	emptyDir(t, out)
}

// TestImagePlatformMatchesPrograms: --platform may refine the variant
// (amd64/v3 for x86-64-v3 programs) but an OS or architecture other than
// the programs' ELF headers say makes an image that claims to run where
// it cannot: refused in one line, as a base of another platform is.
func TestImagePlatformMatchesPrograms(t *testing.T) {
	out := t.TempDir()
	for i, platform := range []string{"linux/arm64", "linux/riscv64", "windows/amd64"} {
		_, stderr, code := fromscratch(t, "image", "--oci-layout", filepath.Join(out, fmt.Sprint("oci", i)), "--platform", platform, "/bin/true")
		oneLineError(t, stderr, code, platform, "linux/amd64")
	}
	emptyDir(t, out)
	buildImage(t, "--oci-layout", filepath.Join(out, "oci"), "--platform", "linux/amd64/v3", "/bin/true")
}

// TestImageBadReferenceFirst: a --push reference or --tag that cannot be
// parsed is a mistake in the command line, said in one line before any
// work, not after collecting the programs and compressing their layer
// (the warnings of a real program then come first).
func TestImageBadReferenceFirst(t *testing.T) {
	out := t.TempDir()
	for _, args := range [][]string{
		{"--push", "not a ref!!"},
		{"--tarball", filepath.Join(out, "img.tar"), "--tag", "Bad Tag!!"},
	} {
		_, stderr, code := fromscratch(t, append(append([]string{"image"}, args...), "/usr/bin/dash")...)
		oneLineError(t, stderr, code, args[len(args)-1])
	}
	emptyDir(t, out)
}

// TestImageDockerBaseInOCILayout: on a Docker-format base (any docker
// tarball, most registry images) the image written to an OCI layout must
// still be one that skopeo and umoci find by its tag and unpack: an OCI
// manifest, not a Docker schema 2 one.
func TestImageDockerBaseInOCILayout(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "skopeo", "umoci", "runc")
	dir := t.TempDir()
	base, layout := filepath.Join(dir, "base.tar"), filepath.Join(dir, "oci")
	buildImage(t, "--tarball", base, "--tag", "base:1", "/usr/bin/dash")
	digest := buildImage(t, "--base", base, "--oci-layout", layout, "--tag", "t", "/usr/bin/id")
	index, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(index, []byte(`"application/vnd.oci.image.manifest.v1+json"`)) {
		t.Errorf("index.json does not list an OCI manifest:\n%s", index)
	}
	stdout, stderr, exit := testenv.RunHost(t, []string{testenv.DefaultPath}, "", "skopeo", "inspect", "oci:"+layout+":t")
	if exit != 0 || !bytes.Contains(stdout, []byte(digest)) {
		t.Errorf("skopeo inspect oci:%s:t: exit %d\n%s%s", layout, exit, stdout, stderr)
	}
	out, stderr, exit := testenv.RunHost(t, []string{testenv.DefaultPath}, "", "umoci", "unpack", "--image", layout+":t", filepath.Join(dir, "bundle"))
	if exit != 0 {
		t.Errorf("umoci unpack --image %s:t: exit %d\n%s%s", layout, exit, out, stderr)
	}
}
