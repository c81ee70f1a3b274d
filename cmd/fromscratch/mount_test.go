package main

import (
	"os/exec"
	"testing"
)

// mountReadOnly makes dir a read-only tmpfs until the test ends: root
// ignores file modes, so this is how a test gets an unwritable output.
func mountReadOnly(t *testing.T, dir string) error {
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Logf("mount: %s", out)
		return err
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return nil
}
