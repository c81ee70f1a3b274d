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
