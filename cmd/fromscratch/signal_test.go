package main

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildCLI builds the fromscratch command into a temporary directory.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fromscratch")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// bigTree makes a directory of incompressible files (256 MiB in all, the
// last one large) that takes the writers long enough to be interrupted.
func bigTree(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "big")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.NewChaCha8([32]byte{1})
	write := func(name string, size int) {
		b := make([]byte, size)
		rng.Read(b)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 1000 {
		write(strings.Repeat("f", 1+i%50)+string(rune('a'+i%26))+"-"+time.Duration(i).String(), 32<<10)
	}
	write("zz-large", 192<<20)
	return dir
}

// SIGINT, SIGTERM or SIGHUP while rootfs or image writes removes the temporary
// output (.NAME.tmp-*), says so in one line and exits 128+signal: the
// real command, signalled once its temporary output exists.
func TestInterruptRemovesStaging(t *testing.T) {
	bin := buildCLI(t)
	tree := bigTree(t)
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		args func(out string) []string
		code int
	}{
		{"rootfs", syscall.SIGINT, func(out string) []string { return []string{"rootfs", "-o", filepath.Join(out, "r")} }, 130},
		{"tarball", syscall.SIGTERM, func(out string) []string {
			return []string{"image", "--compression", "zstd", "--tarball", filepath.Join(out, "i.tar")}
		}, 143},
		{"layout", syscall.SIGHUP, func(out string) []string {
			return []string{"image", "--compression", "zstd", "--oci-layout", filepath.Join(out, "oci")}
		}, 129},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			var stderr bytes.Buffer
			cmd := exec.Command(bin, append(tc.args(out), "--add", tree, "/bin/true")...)
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			deadline := time.Now().Add(3 * time.Minute)
			var err error
		poll:
			for {
				select {
				case err = <-exited:
					t.Fatalf("finished before any temporary output was seen: %v\n%s", err, stderr.String())
				default:
				}
				if m, _ := filepath.Glob(filepath.Join(out, ".*.tmp-*")); len(m) > 0 {
					if err := cmd.Process.Signal(tc.sig); err != nil {
						t.Fatal(err)
					}
					err = <-exited
					break poll
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("no temporary output after 3 minutes")
				}
				time.Sleep(time.Millisecond)
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
				t.Errorf("exit %v, want status %d", err, tc.code)
			}
			oneLineError(t, stderr.String(), exitError, "interrupted by "+signalName(tc.sig), "temporary output removed")
			emptyDir(t, out)
		})
	}
}
