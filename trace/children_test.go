//go:build linux && (amd64 || arm64)

package trace

import (
	"errors"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

// TestOtherChildren: a child of the calling process that ended before
// the run, not reaped yet, keeps its exit status for its owner through
// runs traced meanwhile, whichever thread forked it.
func TestOtherChildren(t *testing.T) {
	var cmds []*exec.Cmd
	for range 8 {
		c := exec.Command("/bin/sh", "-c", "exit 7")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		var info unix.Siginfo
		if err := unix.Waitid(unix.P_PID, c.Process.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
		run(t, []string{"/usr/bin/true"}, nil)
	}
	for _, c := range cmds {
		var ee *exec.ExitError
		if err := c.Wait(); !errors.As(err, &ee) || ee.ExitCode() != 7 {
			t.Errorf("pid %d: %v, want exit status 7", c.Process.Pid, err)
		}
	}
}
