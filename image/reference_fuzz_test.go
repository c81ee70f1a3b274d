package image

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// FuzzReference holds the reference check to its promises: it never
// panics, what it accepts go-containerregistry parses, no accepted
// repository path has a "." or ".." component, and a reference with
// credentials is refused and shown without them.
func FuzzReference(f *testing.F) {
	for _, s := range []string{
		"ubuntu", "localhost:5000/a/b:1", "127.0.0.1:5000/a/../b:1", "user:pw@host.example/x:1",
		"http://u:p@h/x", "[::1]:5000/x@sha256:" + strings.Repeat("0", 64), "a//b", "x:..", "a@b@c/d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		shown, secret := redact(ref)
		err := checkReference(ref)
		if secret {
			// What stands before the host is gone: "***" and the "@".
			i := strings.Index(shown, "***@")
			if i < 0 || i > 0 && !strings.HasSuffix(shown[:i], "://") {
				t.Fatalf("%q shown as %q", ref, shown)
			}
			if err == nil || strings.Contains(err.Error(), ref) {
				t.Fatalf("%q: error %v", ref, err)
			}
		}
		if err != nil {
			return
		}
		if secret {
			t.Fatalf("%q: credentials accepted", ref)
		}
		if _, err := name.ParseReference(ref); err != nil {
			t.Fatalf("%q: accepted, but name says %v", ref, err)
		}
		repo := ref
		if i := strings.Index(repo, "@"); i >= 0 {
			repo = repo[:i]
		}
		for _, c := range strings.Split(repo, "/") {
			if c == "." || c == ".." || c == "" {
				t.Fatalf("%q: accepted with path component %q", ref, c)
			}
		}
	})
}
