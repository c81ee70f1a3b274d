package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// EnvSyftCache overrides the directory .ci/syft builds Syft in.
const EnvSyftCache = "FROMSCRATCH_SYFT_CACHE"

// Syft returns the path of the Syft binary that .ci/syft builds (at the
// version of .ci/syft-version, under /var/cache/fromscratch), or skips
// the test (fails it in CI) when it is not there.
func Syft(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("testenv.Syft: no go.mod above the test's directory")
		}
		dir = filepath.Dir(dir)
	}
	v, err := os.ReadFile(filepath.Join(dir, ".ci", "syft-version"))
	if err != nil {
		t.Fatal(err)
	}
	cache := os.Getenv(EnvSyftCache)
	if cache == "" {
		cache = "/var/cache/fromscratch"
	}
	bin := filepath.Join(cache, "syft-"+strings.TrimSpace(string(v)), "syft")
	if st, err := os.Stat(bin); err != nil || st.Mode()&0o111 == 0 {
		Unavailable(t, "syft: %s not built (run .ci/syft)", bin)
	}
	return bin
}
