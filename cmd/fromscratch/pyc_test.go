package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// TestPycValid is why file times are clamped rather than set: a .pyc
// records its source's mtime, and Python recompiles a module whose .py
// has another. With an epoch later than the files (now), the rootfs keeps
// the real times and python3 -v, in the rootfs, uses Debian's .pyc of
// json ("matches", no "bytecode is stale"). With the default epoch 0 every
// time is 0 and every .pyc is stale: the known cost of the default.
func TestPycValid(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "/usr/bin/python3")
	const pyc = "/usr/lib/python3.11/json/__pycache__/__init__.cpython-311.pyc"
	if _, err := os.Stat(pyc); err != nil {
		testenv.Unavailable(t, "no json .pyc: %v", err)
	}
	now := fmt.Sprint(time.Now().Unix())
	for _, tc := range []struct {
		epoch string
		stale bool
	}{{now, false}, {"0", true}} {
		t.Run("epoch "+tc.epoch, func(t *testing.T) {
			rootfs := filepath.Join(t.TempDir(), "rootfs")
			_, stderr, code := traceCLI(t, "", "rootfs", "--trace", "--trace-timeout", "2m", "--source-date-epoch", tc.epoch,
				"-o", rootfs, "/usr/bin/python3", "--", "-c", "import json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			_, verbose, exit := testenv.RunChroot(t, rootfs, nil, "", "/usr/bin/python3", "-v", "-c", "import json")
			if exit != 0 {
				t.Fatalf("python3 in the rootfs: exit %d: %s", exit, verbose)
			}
			v := string(verbose)
			matches := strings.Contains(v, "# "+pyc+" matches /usr/lib/python3.11/json/__init__.py")
			stale := strings.Contains(v, "# bytecode is stale for 'json'")
			if matches == tc.stale || stale != tc.stale {
				var lines []string
				for _, l := range strings.Split(v, "\n") {
					if strings.Contains(l, "json") {
						lines = append(lines, l)
					}
				}
				t.Errorf("--source-date-epoch %s: json's .pyc stale %v, want %v; python3 -v said:\n%s",
					tc.epoch, stale, tc.stale, strings.Join(lines, "\n"))
			}
			if !tc.stale && strings.Contains(v, "bytecode is stale") {
				t.Errorf("--source-date-epoch %s: some .pyc is stale:\n%s", tc.epoch, v)
			}
		})
	}
}
