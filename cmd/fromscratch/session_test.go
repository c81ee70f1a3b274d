package main

import (
	"strings"
	"sync"
	"testing"
)

// TestCommandsSideBySide: where a command prints is its own (a session),
// not the package's, so runs at the same time keep their output apart.
func TestCommandsSideBySide(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			stdout, stderr, code := fromscratch(t, "deps", "--list", "/bin/ls")
			if code != 0 || !strings.Contains(stdout, "/bin/ls\n") || strings.Contains(stdout, "no/such") || stderr != "" {
				t.Errorf("deps --list /bin/ls: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
		}()
		go func() {
			defer wg.Done()
			stdout, stderr, code := fromscratch(t, "deps", "/no/such/prog")
			if code != exitError || stdout != "" || !strings.Contains(stderr, "/no/such/prog") || strings.Contains(stderr, "/bin/ls") {
				t.Errorf("deps /no/such/prog: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
		}()
	}
	wg.Wait()
}
