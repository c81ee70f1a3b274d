package collector_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// A Debian minbase system stands in for a builder stage: programs are
// collected with the root set to it, and each runs in its rootfs as it
// runs in the builder itself (chrooted there).
func TestBuilderStage(t *testing.T) {
	sysroot := testenv.Amd64Minbase(t)
	root := newRoot(t, sysroot)
	cases := []struct {
		progs []string
		argv  []string
		stdin string
		opts  []collector.Option
	}{
		{[]string{"/bin/bash"}, []string{"/bin/bash", "-c", "echo $((1<<10)); printf '%s\\n' ${BASH_VERSINFO[0]}"}, "", nil},
		{[]string{"/usr/bin/ls"}, []string{"/usr/bin/ls", "-l", "--time-style=+", "/usr/bin/ls"}, "", nil},
		{[]string{"/usr/bin/id"}, []string{"/usr/bin/id", "-un"}, "", nil},
		{[]string{"/bin/gzip"}, []string{"/bin/gzip", "-c", "-n"}, text, nil},
		{[]string{"/usr/bin/sed"}, []string{"/usr/bin/sed", "s/quick/slow/"}, text, nil},
		{[]string{"/usr/bin/grep"}, []string{"/usr/bin/grep", "-c", "o"}, text, nil},
		{[]string{"/usr/bin/mawk"}, []string{"/usr/bin/mawk", "{ n += NF } END { print n }"}, text, nil},
		{[]string{"/usr/bin/perl"}, []string{"/usr/bin/perl", "-e", "print join(q(,), map { $_ ** 2 } 1..5), qq(\\n)"}, "", nil},
		// A C++ program (libstdc++, libgcc_s) that reads files at run time,
		// added here: its configuration, dpkg's database and CPU table, and
		// /etc/debian_version and the dpkg binary, whose presence it scores
		// ("Debian dpkg interface (Priority 30)").
		{[]string{"/usr/bin/apt-get", "/usr/bin/dpkg"}, []string{"/usr/bin/apt-get", "--version"}, "",
			[]collector.Option{collector.WithAdd("/etc/apt", ""), collector.WithAdd("/var/lib/dpkg", ""), collector.WithAdd("/usr/share/dpkg", ""), collector.WithAdd("/etc/debian_version", "")}},
		{[]string{"/usr/bin/sha256sum"}, []string{"/usr/bin/sha256sum"}, text, nil},
	}
	passed := 0
	for _, c := range cases {
		plan := collect(t, c.progs, append(c.opts, collector.WithRoot(root))...)
		rootfs := writeRootfs(t, plan)
		n, size := treeSize(t, rootfs)
		wantOut, wantErr, wantExit := testenv.RunChroot(t, sysroot, nil, c.stdin, c.argv...)
		out, errOut, exit := testenv.RunChroot(t, rootfs, nil, c.stdin, c.argv...)
		if exit != wantExit || !bytes.Equal(out, wantOut) || !bytes.Equal(errOut, wantErr) {
			t.Errorf("%q: in the builder exit %d, %q, %q; in its rootfs exit %d, %q, %q",
				c.argv, wantExit, wantOut, wantErr, exit, out, errOut)
			continue
		}
		passed++
		t.Logf("%s: %d entries, %.1f MB: %q", c.progs[0], n, float64(size)/1e6, firstLine(out))
	}
	t.Logf("builder stage programs passed %d/%d", passed, len(cases))
}

// firstLine is the first line of a program's output, for the log.
func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}

// The programs of dpkg -x sysroots (not usrmerged, no ld.so.cache), one
// plan for all of them: amd64, and arm64 with its platform and run under
// qemu. Each command runs in the rootfs as in the sysroot itself.
func TestSysroots(t *testing.T) {
	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			var sysroot string
			if arch == "arm64" {
				sysroot = testenv.Arm64Sysroot(t)
				testenv.EnableQemuArm64(t)
			} else {
				sysroot = testenv.Amd64Sysroot(t)
			}
			plan := collect(t, testenv.SysrootPrograms(), collector.WithRoot(newRoot(t, sysroot)))
			want := "linux/" + arch
			if arch == "arm64" {
				want += "/v8"
			}
			if plan.Platform.String() != want {
				t.Errorf("platform %s, want %s", plan.Platform, want)
			}
			// The sysroot has no ca-certificates: a warning says so.
			if !strings.Contains(warningText(plan.WarningsOf(collector.WarnMissingFile)), "no CA bundle") {
				t.Errorf("no warning about the missing CA bundle:\n%s", warningText(plan.Warnings))
			}
			rootfs := writeRootfs(t, plan)
			n, size := treeSize(t, rootfs)
			t.Logf("%s: %d programs, %d entries, %.1f MB; warnings:\n  %s", arch, len(plan.Programs), n, float64(size)/1e6, strings.ReplaceAll(warningText(plan.Warnings), "\n", "\n  "))
			for _, c := range []struct {
				argv  []string
				stdin string
			}{
				{[]string{"/bin/bash", "-c", "echo $((6*7)) ${BASH_VERSINFO[0]}"}, ""},
				{[]string{"/bin/dash", "-c", "echo $((1<<5))"}, ""},
				{[]string{"/bin/ls", "-ln", "--time-style=+", "/bin/ls"}, ""},
				{[]string{"/bin/sed", "s/fox/cat/"}, text},
				{[]string{"/bin/grep", "-o", "qu[a-z]*"}, text},
				{[]string{"/bin/gzip", "-c", "-n"}, text},
				{[]string{"/bin/tar", "--version"}, ""},
				{[]string{"/usr/bin/find", "/bin/ls", "-perm", "-u+x"}, ""},
				{[]string{"/usr/bin/env", "-i", "A=1"}, ""},
				{[]string{"/usr/bin/openssl", "dgst", "-sha256"}, text},
				{[]string{"/usr/bin/curl", "--version"}, ""},
			} {
				wantOut, wantErr, wantExit := testenv.RunChroot(t, sysroot, nil, c.stdin, c.argv...)
				out, errOut, exit := testenv.RunChroot(t, rootfs, nil, c.stdin, c.argv...)
				if exit != wantExit || !bytes.Equal(out, wantOut) || !bytes.Equal(errOut, wantErr) {
					t.Errorf("%q: in the sysroot exit %d, %q, %q; in its rootfs exit %d, %q, %q",
						c.argv, wantExit, wantOut, wantErr, exit, out, errOut)
				}
			}
			// The sysroot has no /etc/passwd (dpkg -x runs no maintainer
			// script): there ls shows numbers, in the rootfs names.
			out, _, _ := testenv.RunChroot(t, rootfs, nil, "", "/bin/ls", "-l", "/bin/ls")
			if !strings.Contains(string(out), " root root ") {
				t.Errorf("ls -l in the rootfs: %q, want owner names", out)
			}
		})
	}
}
