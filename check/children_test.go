package check_test

import (
	"errors"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fromscratch/fromscratch/check"
	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// TestOtherChildren: the tracer waits only for its own tracees, so the
// children of the process that embeds the check keep their exit status
// for it: one that ended before the check, a zombie the tracer must not
// reap, and one that runs through it and ends meanwhile.
func TestOtherChildren(t *testing.T) {
	testenv.NeedRoot(t)
	ended := exec.Command("/bin/sh", "-c", "exit 7")
	if err := ended.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for its end without reaping it.
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, ended.Process.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		t.Fatal(err)
	}
	running := exec.Command("/bin/sh", "-c", "sleep 0.3; exit 9")
	if err := running.Start(); err != nil {
		t.Fatal(err)
	}

	plan, err := collector.Collect([]string{"/usr/bin/sleep"})
	if err != nil {
		t.Fatal(err)
	}
	rep := run(t, plan, check.WithArgs("/usr/bin/sleep", "1"))
	if !rep.OK() {
		t.Errorf("the check: %v", rep.Problems())
	}

	for _, c := range []struct {
		cmd  *exec.Cmd
		code int
	}{{ended, 7}, {running, 9}} {
		var ee *exec.ExitError
		if err := c.cmd.Wait(); !errors.As(err, &ee) || ee.ExitCode() != c.code {
			t.Errorf("%q: %v, want exit status %d", c.cmd.Args, err, c.code)
		}
	}
}
