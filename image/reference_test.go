package image

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// closedPort is a loopback address where nothing listens: an error that
// mentions it came from trying to reach it, not from the check up front.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// A password in a reference, to push to or to build on, is never printed
// (nor sent): the error says credentials belong in the docker config, and
// names the Go API for library users.
func TestReferenceNeverShowsCredentials(t *testing.T) {
	host := closedPort(t)
	img := platformImage(t, amd64)
	for _, ref := range []string{
		"user:s3cr3t@" + host + "/x:1",
		"http://user:s3cr3t@" + host + "/x:1",
		"https://user:s3cr3t@" + host + "/x@sha256:" + strings.Repeat("0", 64),
		"user:s3@cr3t@" + host + "/x:1", // an @ in the password
		"s3cr3t@" + host + "/x",
	} {
		var progress bytes.Buffer
		_, werr := Write(t.Context(), img, Registry(ref, WithProgress(&progress)))
		_, berr := LoadBase(t.Context(), ref, amd64)
		for what, err := range map[string]error{"push": werr, "base": berr} {
			if err == nil {
				t.Fatalf("%s %s: no error", what, ref)
			}
			msg := err.Error() + progress.String()
			if strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "cr3t") {
				t.Errorf("%s: the error shows the password: %s", what, msg)
			}
			for _, want := range []string{"***@" + host + "/x", "docker config", "remote.WithAuthFromKeychain"} {
				if !strings.Contains(msg, want) {
					t.Errorf("%s %s: error %q: want %q in it", what, ref, msg, want)
				}
			}
			if strings.Contains(msg, "connection refused") || strings.Contains(msg, "\n") {
				t.Errorf("%s: error %q: want one line, before any connection", what, msg)
			}
		}
	}
}

// A reference that is not written canonically ("..", an empty path
// component, a tag that is a path…) is refused up front, with one line
// naming it and the faulty part, never sent to a registry; canonical ones
// still parse.
func TestReferenceRejectsNonCanonical(t *testing.T) {
	host := closedPort(t)
	img := platformImage(t, amd64)
	for ref, part := range map[string]string{
		host + "/a/../b:1":        `".."`,
		host + "/a/./b:1":         `"."`,
		host + "/a//b:1":          `""`,
		host + "/a/b/:1":          `""`,
		host + "/../x":            `".."`,
		host + "/x:..":            `tag ".."`,
		host + "/x:-1":            `tag "-1"`,
		host + "/a..b:1":          `"a..b"`,
		host + "/.x:1":            `".x"`,
		"a..b:5000/x:1":           `"a..b:5000"`,
		host + ":/x:1":            "port",
		"http://" + host + "/x:1": "no scheme",
	} {
		_, err := Write(t.Context(), img, Registry(ref))
		if err == nil {
			t.Errorf("%s: accepted", ref)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, ref) || !strings.Contains(msg, part) || strings.Contains(msg, "\n") ||
			strings.Contains(msg, "connection refused") {
			t.Errorf("%s: error %q: want one line naming it and %s, before any connection", ref, msg, part)
		}
		if _, err := LoadBase(t.Context(), ref, amd64); err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("base %s: error %v: want it refused for %s", ref, err, part)
		}
	}
	for _, ref := range []string{
		"ubuntu",
		"library/ubuntu:22.04",
		"localhost:5000/a/b-c__d.e---f:v1.0_x",
		"[::1]:5000/x:1",
		"registry.example.com/team/app@sha256:" + strings.Repeat("a", 64),
		"registry.example.com/team/app:1@sha256:" + strings.Repeat("a", 64),
		"Registry-1.Example.COM:443/x",
	} {
		if _, err := parseReference(ref); err != nil {
			t.Errorf("%s: %v", ref, err)
		}
	}
}

// A docker tarball's tag is a reference too: no password printed, no
// non-canonical name written.
func TestTarballTagChecked(t *testing.T) {
	img := platformImage(t, amd64)
	for tag, want := range map[string]string{
		"user:s3cr3t@host.example/x:1": "docker config",
		"host.example/a/../b:1":        `".."`,
	} {
		file := filepath.Join(t.TempDir(), "img.tar")
		_, err := Write(t.Context(), img, Tarball(file, tag))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("tag %s: error %v, want one saying %s and no password", tag, err, want)
		}
		if _, serr := os.Stat(file); serr == nil {
			t.Errorf("tag %s: %s written", tag, file)
		}
	}
}
