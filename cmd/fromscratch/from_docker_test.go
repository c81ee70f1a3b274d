package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/fromscratch/fromscratch/image"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// fatPackages are the Debian packages of the fat test image: a TLS
// client, a web server with its default site and a database client (the
// interpreter, perl, is in the minbase already).
var fatPackages = []string{"curl", "nginx-light", "sqlite3"}

// fatDebs downloads fatPackages and what they need beyond the minbase root
// into the test cache, once: the test's dockerd has no network.
func fatDebs(t *testing.T, minbase string) string {
	t.Helper()
	dir := filepath.Join(testenv.CacheDir(t), "from-debs-v1")
	if ents, err := filepath.Glob(filepath.Join(dir, "*.deb")); err == nil && len(ents) > 0 {
		return dir
	}
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(filepath.Join(tmp, "partial"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The minbase's dpkg status says what is installed there already.
	cmd := exec.Command("apt-get", "-q", "-y", "--download-only", "--no-install-recommends",
		"-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root",
		"-o", "Dir::State::status="+filepath.Join(minbase, "var/lib/dpkg/status"),
		"-o", "Dir::Cache::archives="+tmp, "install")
	cmd.Args = append(cmd.Args, fatPackages...)
	if out, err := cmd.CombinedOutput(); err != nil {
		testenv.Unavailable(t, "apt-get download of %v: %v\n%s", fatPackages, err, out)
	}
	os.RemoveAll(filepath.Join(tmp, "partial"))
	os.Remove(filepath.Join(tmp, "lock"))
	if err := os.Rename(tmp, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fatDockerfile installs the debs as apt would, the way a Dockerfile's
// "RUN apt-get install" leaves an image: the packages in one layer, the
// .debs copied in another and deleted (whiteouts) by the first. (Few
// steps: each copies the whole tree on the test's vfs dockerd.)
const fatDockerfile = `FROM %s
COPY . /tmp/ctx/
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && \
    install -D -m 755 /tmp/ctx/hello.pl /app/hello.pl && \
    dpkg -i /tmp/ctx/debs/*.deb && rm -rf /tmp/ctx /usr/sbin/policy-rc.d && \
    sed -i 's/listen 80 default_server;/listen %d default_server;/; s/listen \[::\]:80 default_server;//' /etc/nginx/sites-enabled/default
CMD ["curl", "--version"]
`

// helloPl is the interpreter's script: no module, so perl alone runs it.
const helloPl = "#!/usr/bin/perl\nprint \"perl $]: \", join(\",\", map { $_ * $_ } 1 .. 6), \"\\n\";\n"

// fatImage is the test's fat image, built once for every subtest: the
// minbase imported into the test's dockerd and pushed to its registry,
// and on it the packages installed by docker build.
type fatImage struct {
	tag      string // in the dockerd
	registry string // the pushed reference
	save     string // docker save output
	layout   string // OCI layout (skopeo copy), DIR:TAG
	port     int    // nginx's port
}

func buildFat(t *testing.T) *fatImage {
	reg := testenv.NeedRegistry(t)
	testenv.NeedRoot(t)
	testenv.NeedDocker(t)
	testenv.NeedCommand(t, "skopeo", "tar")
	minbase := testenv.Amd64Minbase(t)
	debs := fatDebs(t, minbase)
	name := testenv.Name(t)
	f := &fatImage{tag: name + "-fat:1", port: freePort(t)}

	start := time.Now()
	imp := exec.Command("sh", "-c", `tar --numeric-owner -C "$1" -c . | "$2" import - "$3"`, "sh", minbase, testenv.DockerClient(), name+"-minbase:1")
	imp.Env = []string{"DOCKER_HOST=" + testenv.NeedDocker(t), "HOME=" + t.TempDir(), testenv.DefaultPath}
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("docker import: %v\n%s", err, out)
	}
	minRef := reg + "/" + name + "-minbase:1"
	mustDocker(t, "tag", name+"-minbase:1", minRef)
	mustDocker(t, "push", minRef)
	ctx := t.TempDir()
	testenv.CopyTree(t, debs, filepath.Join(ctx, "debs"))
	os.WriteFile(filepath.Join(ctx, "hello.pl"), []byte(helloPl), 0o755)
	os.WriteFile(filepath.Join(ctx, "Dockerfile"), fmt.Appendf(nil, fatDockerfile, minRef, f.port), 0o644)
	mustDocker(t, "build", "-q", "-t", f.tag, ctx)
	f.registry = reg + "/" + f.tag
	mustDocker(t, "tag", f.tag, f.registry)
	mustDocker(t, "push", f.registry)
	dir := t.TempDir()
	f.save = filepath.Join(dir, "fat.tar")
	mustDocker(t, "save", "-o", f.save, f.tag)
	f.layout = filepath.Join(dir, "oci") + ":fat"
	if out, err := exec.Command("skopeo", "copy", "docker-archive:"+f.save, "oci:"+f.layout).CombinedOutput(); err != nil {
		t.Fatalf("skopeo copy: %v\n%s", err, out)
	}
	t.Logf("fat image %s built in %v: %s", f.tag, time.Since(start).Round(time.Second),
		strings.TrimSpace(mustDocker(t, "image", "inspect", "--format", "{{.Size}} bytes", f.tag)))
	return f
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// nginxAdds are what nginx reads or writes beyond its closure: its
// configuration, modules, default site, log and state directories, the
// pid file's directory and www-data's passwd entry.
var nginxAdds = []string{
	"/etc/nginx", "/usr/share/nginx", "/usr/lib/nginx", "/var/www/html",
	"/var/log/nginx", "/var/lib/nginx", "/run", "/etc/passwd", "/etc/group",
}

// fatPrograms run in the fat image and in each minified one.
var fatPrograms = [][]string{
	{"/usr/bin/curl", "--version"},
	{"/usr/bin/curl", "-sS", "file:///app/hello.pl"},
	{"/app/hello.pl"},
	{"/usr/bin/sqlite3", ":memory:", "create table t(x); insert into t values (3),(4); select sum(x*x), sqlite_version();"},
}

// fatWant is what the fat image gives: each program's output (run by docker
// exec in one container of it, as a container of the 230 MB image costs
// a copy of it on the test's vfs dockerd) and the page nginx serves.
type fatWant struct {
	programs []string // of fatPrograms
	page     string
}

func fatWants(t *testing.T, fat *fatImage) fatWant {
	t.Helper()
	name := testenv.Name(t) + "-fat"
	mustDocker(t, "run", "-d", "--rm", "--name", name, "--network", "host", "--entrypoint", "/usr/sbin/nginx", fat.tag, "-g", "daemon off;")
	defer testenv.Docker(t, "rm", "-f", name)
	var w fatWant
	w.page = probe(t, name, fat.port)
	for _, argv := range fatPrograms {
		stdout, stderr, exit := testenv.Docker(t, append([]string{"exec", name}, argv...)...)
		w.programs = append(w.programs, runText(stdout, stderr, exit))
	}
	return w
}

// TestFromDocker minifies the fat image from the registry, from docker
// save output and from an OCI layout, with no dockerd reachable, and runs
// each program of the minified images under docker run --network none,
// and nginx on 127.0.0.1, with the fat image's output.
func TestFromDocker(t *testing.T) {
	fat := buildFat(t)
	want := fatWants(t, fat)
	if !strings.Contains(want.page, "Welcome to nginx!") || !strings.Contains(want.programs[0], "OpenSSL") {
		t.Fatalf("the fat image itself: nginx %q, curl %q", want.page, want.programs[0])
	}
	// The minification itself needs no daemon.
	nowhere := "unix://" + filepath.Join(t.TempDir(), "no-docker.sock")
	dockerHost := testenv.NeedDocker(t)
	sizeRE := regexp.MustCompile(`: ([0-9.]+ [KM]iB|[0-9]+ B), minified: ([0-9.]+ [KM]iB|[0-9]+ B)`)
	for i, src := range []struct{ name, ref string }{
		{"registry", fat.registry}, {"docker-save", fat.save}, {"oci-layout", fat.layout},
	} {
		t.Run(src.name, func(t *testing.T) {
			tag := fmt.Sprintf("%s-min:%d", testenv.Name(t), i)
			tarball := filepath.Join(t.TempDir(), "min.tar")
			args := []string{"image", "--from", src.ref, "--tarball", tarball, "--tag", tag}
			for _, a := range nginxAdds {
				args = append(args, "--add", a)
			}
			args = append(args, "/usr/bin/curl", "/usr/sbin/nginx", "/app/hello.pl", "/usr/bin/sqlite3")
			t.Setenv("DOCKER_HOST", nowhere)
			start := time.Now()
			_, stderr, code := fromscratch(t, args...)
			t.Setenv("DOCKER_HOST", dockerHost)
			if code != 0 {
				t.Fatalf("image --from %s: exit %d\n%s", src.ref, code, stderr)
			}
			m := sizeRE.FindStringSubmatch(stderr)
			if m == nil {
				t.Fatalf("no sizes printed: %s", stderr)
			}
			t.Logf("%s: source %s, minified %s, in %v", src.ref, m[1], m[2], time.Since(start).Round(time.Millisecond))
			dockerLoad(t, tarball, tag)
			for i, argv := range fatPrograms {
				if got := fatRun(t, tag, argv); got != want.programs[i] {
					t.Errorf("%q: minified gives\n%s\nthe fat image\n%s", argv, got, want.programs[i])
				}
			}
			if got := nginxProbe(t, tag, fat.port); got != want.page {
				t.Errorf("nginx: minified serves %q, the fat image %q", got, want.page)
			}
		})
	}
	// Without FILE, the image's own command (curl --version) is taken.
	t.Run("default-command", func(t *testing.T) {
		tag := testenv.Name(t) + "-min:cmd"
		tarball := filepath.Join(t.TempDir(), "min.tar")
		t.Setenv("DOCKER_HOST", nowhere)
		_, stderr, code := fromscratch(t, "image", "--from", fat.registry, "--tarball", tarball, "--tag", tag)
		t.Setenv("DOCKER_HOST", dockerHost)
		if code != 0 {
			t.Fatalf("image --from %s: exit %d\n%s", fat.registry, code, stderr)
		}
		dockerLoad(t, tarball, tag)
		if got := fatRun(t, tag, nil); got != want.programs[0] {
			t.Errorf("default command: minified gives\n%s\nthe fat image\n%s", got, want.programs[0])
		}
	})
}

// fatRun runs argv (nil: the image's command) in img with no network and
// returns exit status and output as one text.
func fatRun(t *testing.T, img string, argv []string) string {
	t.Helper()
	var flags []string
	if argv != nil {
		flags = []string{"--entrypoint", argv[0]}
		argv = argv[1:]
	}
	stdout, stderr, exit := dockerRun(t, img, "", flags, nil, argv...)
	return runText(stdout, stderr, exit)
}

func runText(stdout, stderr []byte, exit int) string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", exit, stdout, stderr)
}

// nginxProbe runs nginx in img with host networking and returns the page
// it serves on 127.0.0.1:port.
func nginxProbe(t *testing.T, img string, port int) string {
	t.Helper()
	name := strings.NewReplacer(":", "-", "/", "-").Replace(img) + "-nginx"
	mustDocker(t, "run", "-d", "--rm", "--name", name, "--network", "host", "--entrypoint", "/usr/sbin/nginx", img, "-g", "daemon off;")
	defer testenv.Docker(t, "rm", "-f", name)
	return probe(t, name, port)
}

// probe gets the page of the nginx of container name on 127.0.0.1:port.
func probe(t *testing.T, name string, port int) string {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return fmt.Sprintf("%d %s", resp.StatusCode, b)
		}
		if time.Now().After(deadline) {
			logs, errs, _ := testenv.Docker(t, "logs", name)
			return fmt.Sprintf("no answer: %v; logs: %s%s", err, logs, errs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestFromArm64 minifies an arm64 image (the arm64 sysroot's files as one
// layer) on this amd64 machine, with no daemon and no qemu, and runs the
// result under docker run --platform linux/arm64.
func TestFromArm64(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "tar")
	root := testenv.Arm64Sysroot(t)
	src := writeArchLayout(t, "arm64", v1.Config{
		Env:        []string{testenv.DefaultPath},
		Entrypoint: []string{"bash", "-c"},
		Cmd:        []string{"echo ${BASH_VERSINFO[5]} $((6*7))"},
	}, dirLayer(t, root))
	tag := testenv.Name(t) + "-min:1"
	tarball := filepath.Join(t.TempDir(), "min.tar")
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-docker.sock"))
	_, stderr, code := fromscratch(t, "image", "--from", src, "--tarball", tarball, "--tag", tag)
	if code != 0 {
		t.Fatalf("image --from %s: exit %d\n%s", src, code, stderr)
	}
	if !strings.Contains(stderr, "linux/arm64") {
		t.Errorf("the platform is not reported: %s", stderr)
	}
	t.Log(strings.TrimSpace(stderr))
	img, err := tarballImage(tarball, tag)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	if cf.Architecture != "arm64" || cf.OS != "linux" {
		t.Errorf("minified image is %s/%s, want linux/arm64", cf.OS, cf.Architecture)
	}
	dockerHost := testenv.NeedDocker(t)
	t.Setenv("DOCKER_HOST", dockerHost)
	testenv.EnableQemuArm64(t)
	dockerLoad(t, tarball, tag)
	stdout, errOut, exit := dockerRun(t, tag, "", []string{"--platform", "linux/arm64"}, nil)
	if exit != 0 || string(stdout) != "aarch64-unknown-linux-gnu 42\n" {
		t.Errorf("docker run --platform linux/arm64: exit %d, %q %s", exit, stdout, errOut)
	}
}

func tarballImage(file, tag string) (v1.Image, error) {
	return image.LoadSource(context.Background(), file+":"+tag, nil)
}
