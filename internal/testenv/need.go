package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Environment variables that .ci/services sets and the tests read.
const (
	EnvCI         = "CI"
	EnvDockerHost = "FROMSCRATCH_TEST_DOCKER_HOST"
	EnvDocker     = "FROMSCRATCH_TEST_DOCKER"
	EnvRegistry   = "FROMSCRATCH_TEST_REGISTRY"
	EnvCache      = "FROMSCRATCH_TEST_CACHE"
)

// DefaultPath is the PATH entry that Docker and runc give a container; pass
// it in the env of the Run functions when the program needs a PATH.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// InCI reports whether the tests run in CI, where nothing may be skipped.
func InCI() bool {
	v := os.Getenv(EnvCI)
	return v != "" && v != "0" && v != "false"
}

// Unavailable skips the test because something it needs is missing, or fails
// it in CI, where everything the tests need must be there.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("unavailable in CI (.ci/run must provide it): %s", msg)
	}
	t.Skipf("unavailable: %s", msg)
}

// NeedCommand requires each named program on PATH (or each absolute path).
func NeedCommand(t testing.TB, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			Unavailable(t, "command %s: %v", name, err)
		}
	}
}

// NeedRoot requires the test to run as root (chroot, mounts, runc, dockerd).
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Unavailable(t, "root (running as uid %d)", os.Geteuid())
	}
}

// NeedDocker requires the private Docker daemon that .ci/services started and
// returns its DOCKER_HOST value (unix:///…/docker.sock).
func NeedDocker(t testing.TB) string {
	t.Helper()
	host := os.Getenv(EnvDockerHost)
	if host == "" {
		Unavailable(t, "docker daemon: %s not set (run the tests with make test)", EnvDockerHost)
	}
	NeedCommand(t, DockerClient())
	return host
}

// DockerClient returns the docker client that matches the test daemon.
func DockerClient() string {
	if c := os.Getenv(EnvDocker); c != "" {
		return c
	}
	return "/usr/bin/docker"
}

// Docker runs the docker client against the test daemon with the given
// arguments and returns its output and exit status.
func Docker(t testing.TB, args ...string) (stdout, stderr []byte, exit int) {
	t.Helper()
	host := NeedDocker(t)
	env := []string{"DOCKER_HOST=" + host, "HOME=" + t.TempDir(), DefaultPath}
	return RunHost(t, env, "", append([]string{DockerClient()}, args...)...)
}

// NeedRegistry requires the registry that .ci/services started and returns
// its address, 127.0.0.1:PORT; it speaks plain HTTP.
func NeedRegistry(t testing.TB) string {
	t.Helper()
	addr := os.Getenv(EnvRegistry)
	if addr == "" {
		Unavailable(t, "registry: %s not set (run the tests with make test)", EnvRegistry)
	}
	return addr
}

// Name returns a name unique to this test and run, usable as a Docker image
// name, registry repository or container ID: lower case letters, digits and
// dashes, from the test's name plus a random suffix.
func Name(t testing.TB) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 40 {
		name = strings.Trim(name[:40], "-")
	}
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	return name + "-" + hex.EncodeToString(suffix)
}
