package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

const binfmtDir = "/proc/sys/fs/binfmt_misc"

// EnableQemuArm64 makes arm64 programs runnable on this machine, in chroots
// and containers too: it mounts binfmt_misc if needed and enables qemu's
// aarch64 handler (qemu-user-static, binfmt-support). Needs root unless
// .ci/services already did it.
func EnableQemuArm64(t testing.TB) {
	t.Helper()
	if qemuArm64Enabled() {
		return
	}
	NeedRoot(t)
	NeedCommand(t, "update-binfmts", "qemu-aarch64-static")
	unlock := lockFile(t, "binfmt")
	defer unlock()
	if qemuArm64Enabled() {
		return
	}
	if _, err := os.Stat(binfmtDir + "/status"); err != nil {
		if out, err := exec.Command("mount", "-t", "binfmt_misc", "binfmt_misc", binfmtDir).CombinedOutput(); err != nil {
			Unavailable(t, "mounting binfmt_misc: %v\n%s", err, out)
		}
	}
	if out, err := exec.Command("update-binfmts", "--enable", "qemu-aarch64").CombinedOutput(); err != nil && !qemuArm64Enabled() {
		Unavailable(t, "update-binfmts --enable qemu-aarch64: %v\n%s", err, out)
	}
	if !qemuArm64Enabled() {
		Unavailable(t, "qemu-aarch64 binfmt handler not enabled")
	}
}

// qemuArm64Enabled reports whether the kernel runs aarch64 ELF files through
// qemu, with the F flag that makes it work inside chroots.
func qemuArm64Enabled() bool {
	data, err := os.ReadFile(binfmtDir + "/qemu-aarch64")
	if err != nil {
		return false
	}
	s := string(data)
	if !strings.HasPrefix(s, "enabled\n") {
		return false
	}
	for _, line := range strings.Split(s, "\n") {
		if flags, ok := strings.CutPrefix(line, "flags: "); ok {
			return strings.Contains(flags, "F")
		}
	}
	return false
}
