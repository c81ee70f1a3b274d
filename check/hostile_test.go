package check_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/check"
	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// survivors returns the live processes named name: zombies, dead and
// waiting for the reaper of this machine, are not.
func survivors(name string) []string {
	var out []string
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		b, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		// PID (COMM) STATE ...
		s := string(b)
		i, j := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if i < 0 || j < i || s[i+1:j] != name {
			continue
		}
		if state := strings.Fields(s[j+1:]); len(state) > 0 && state[0] != "Z" && state[0] != "X" {
			out = append(out, filepath.Base(d)+" "+state[0])
		}
	}
	return out
}

func sum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestHostile runs programs that fork away, daemonize, loop ignoring
// SIGTERM, write everywhere, or mount and make devices, in both sandboxes
// (the chroot contains neither writes nor privileges): the check returns, no
// process is left, the staging tree is gone, nothing outside it changed,
// and what it says is one line each.
func TestHostile(t *testing.T) {
	testenv.NeedRoot(t)
	dir := t.TempDir()
	prog := testenv.BuildC(t, dir, "hostile", "testdata/hostile.c", "-static")
	plan, err := collector.Collect([]string{prog})
	if err != nil {
		t.Fatal(err)
	}
	progSum, hostsSum := sum(t, prog), sum(t, "/etc/hosts")
	for _, sandbox := range []string{"namespaces", "chroot"} {
		for _, mode := range []string{"daemon", "forkaway", "loop", "write", "privileged"} {
			if (mode == "write" || mode == "privileged") && sandbox == "chroot" {
				continue // a chroot contains nothing a root process writes: see Report.Degraded
			}
			t.Run(sandbox+"/"+mode, func(t *testing.T) {
				tmp := t.TempDir()
				name := fmt.Sprintf("fsx%d", time.Now().UnixNano()%1e9)
				marker := filepath.Join(dir, "escaped-"+name)
				arg := name
				if mode == "write" {
					arg = marker
				}
				// Only the loop should meet the timeout: the others
				// end at once, even traced under the race detector.
				timeout := 30 * time.Second
				if mode == "loop" {
					timeout = 2 * time.Second
				}
				opts := []check.Option{check.WithArgs(prog, mode, arg), check.WithTempDir(tmp), check.WithTimeout(timeout), check.WithGrace(500 * time.Millisecond)}
				if sandbox == "chroot" {
					opts = append(opts, check.WithChrootOnly())
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				rep, err := check.Run(ctx, plan, opts...)
				if err != nil {
					t.Fatal(err)
				}
				if ctx.Err() != nil {
					t.Fatal("the check did not return")
				}
				if rep.Sandbox != sandbox {
					t.Errorf("sandbox %s, want %s", rep.Sandbox, sandbox)
				}
				if s := survivors(name); len(s) > 0 {
					t.Errorf("processes left: %v", s)
				}
				if left, _ := os.ReadDir(tmp); len(left) > 0 {
					t.Errorf("staging left in %s: %v", tmp, left)
				}
				if sum(t, prog) != progSum || sum(t, "/etc/hosts") != hostsSum {
					t.Errorf("a file outside the staging tree changed")
				}
				for _, p := range []string{marker, "/escaped", "/e"} {
					if _, err := os.Lstat(p); err == nil {
						os.RemoveAll(p)
						t.Errorf("%s was created outside the sandbox", p)
					}
				}
				want := check.Exit{}
				if mode == "loop" {
					want.Stopped, want.Code = true, 0
				}
				if rep.Staged.Stopped != want.Stopped || !want.Stopped && rep.Staged.Code != 0 {
					t.Errorf("staged run: %v", rep.Staged)
				}
				for _, p := range rep.Problems() {
					if strings.Contains(p, "\n") {
						t.Errorf("not one line: %q", p)
					}
				}
				if rep.Degraded != "" && bytes.ContainsRune([]byte(rep.Degraded), '\n') {
					t.Errorf("not one line: %q", rep.Degraded)
				}
				t.Logf("%v; %s", rep.Staged, strings.Join(rep.Problems(), "; "))
			})
		}
	}
}

// TestStagingLeavesTheRootAlone: staging hard-links the root's files and
// gives staged entries their source's owner, yet a setuid file owned by a
// service user keeps its owner, mode and times in the root after checks
// in both sandboxes.
func TestStagingLeavesTheRootAlone(t *testing.T) {
	testenv.NeedRoot(t)
	dir := t.TempDir()
	prog := testenv.BuildC(t, dir, "hostile", "testdata/hostile.c", "-static")
	if err := os.Chown(prog, 1234, 1234); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(prog, 0o755|fs.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	var before syscall.Stat_t
	if err := syscall.Stat(prog, &before); err != nil {
		t.Fatal(err)
	}
	plan, err := collector.Collect([]string{prog}) // drops the setuid bit in the plan
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range [][]check.Option{nil, {check.WithChrootOnly()}} {
		if _, err := check.Run(context.Background(), plan, append(opts, check.WithArgs(prog, "privileged"), check.WithTimeout(time.Minute))...); err != nil {
			t.Fatal(err)
		}
	}
	var after syscall.Stat_t
	if err := syscall.Stat(prog, &after); err != nil {
		t.Fatal(err)
	}
	// The ctime is the link's: a hard link counts as a change of the
	// inode.
	if before.Mode&syscall.S_ISUID == 0 || after.Mode != before.Mode || after.Uid != before.Uid || after.Gid != before.Gid || after.Mtim != before.Mtim || after.Nlink != before.Nlink {
		t.Errorf("the root's file changed: mode %o uid %d gid %d links %d, was %o %d %d %d", after.Mode, after.Uid, after.Gid, after.Nlink, before.Mode, before.Uid, before.Gid, before.Nlink)
	}
}
