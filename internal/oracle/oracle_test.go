package oracle

import (
	"slices"
	"testing"

	"github.com/fromscratch/fromscratch/elfscan"
)

func TestParse(t *testing.T) {
	glibc := "\tlinux-vdso.so.1 (0x00007ffd4a1f2000)\n" +
		"\tlibq.so (0x00007fe8f81a5000)\n" +
		"\tlibselinux.so.1 => /lib/x86_64-linux-gnu/libselinux.so.1 (0x00007f2b23e63000)\n" +
		"\t/tmp/x/liba.so (0x00007f2b23e10000)\n" +
		"\tlibgone.so => not found\n" +
		"\t/lib64/ld-linux-x86-64.so.2 (0x00007f2b23fbb000)\n"
	paths, missing := parse([]byte(glibc), nil, "glibc")
	want := []string{"libq.so", "/lib/x86_64-linux-gnu/libselinux.so.1", "/tmp/x/liba.so", "/lib64/ld-linux-x86-64.so.2"}
	if !slices.Equal(paths, want) || !slices.Equal(missing, []string{"libgone.so"}) {
		t.Errorf("glibc: %q %q", paths, missing)
	}
	musl := "\t/lib/ld-musl-x86_64.so.1 (0x7f3c1a4b5000)\n" +
		"\tliba.so => /tmp/x/liba.so (0x7f3c1a4a0000)\n" +
		"\tlibc.so => /lib/ld-musl-x86_64.so.1 (0x7f3c1a4b5000)\n"
	stderr := "Error loading shared library libgone.so: No such file or directory (needed by /tmp/x/prog)\n" +
		"Error relocating /tmp/x/prog: fn: symbol not found\n"
	paths, missing = parse([]byte(musl), []byte(stderr), "musl")
	want = []string{"/lib/ld-musl-x86_64.so.1", "/tmp/x/liba.so", "/lib/ld-musl-x86_64.so.1"}
	if !slices.Equal(paths, want) || !slices.Equal(missing, []string{"libgone.so"}) {
		t.Errorf("musl: %q %q", paths, missing)
	}
}

func TestRefusesOtherInterpreters(t *testing.T) {
	// /bin/sh is no loader: a file naming it as PT_INTERP must never run.
	if _, err := checkLoader(elfscan.HostRoot(), "/bin/sh"); err == nil {
		t.Error("checkLoader accepted /bin/sh")
	}
}
