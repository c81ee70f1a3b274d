package hostld

import (
	"errors"
	"path"
	"reflect"
	"testing"

	"github.com/fromscratch/fromscratch/internal/arch"
)

func TestParse(t *testing.T) {
	out := "\tlinux-vdso.so.1 (0x00007ffc4e5f2000)\n" +
		"\tlibtiny.so.1 => not found\n" +
		"\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f22)\n" +
		"\tlibq.so => libq.so (0x00007f25)\n" +
		"\tlibr.so (0x00007f26)\n" +
		"\t/abs/dir/../libx.so (0x00007f23)\n" +
		"\t/lib64/ld-linux-x86-64.so.2 (0x00007f24)\n" +
		"\tstatically linked\n"
	want := []Line{
		{Name: "libtiny.so.1"},
		{Name: "libm.so.6", Path: "/lib/x86_64-linux-gnu/libm.so.6"},
		{Name: "libq.so", Path: "libq.so"},
		{Name: "libr.so", Path: "libr.so", Direct: true}, // found relative to the working directory
		{Name: "/abs/dir/../libx.so", Path: "/abs/dir/../libx.so", Direct: true},
		{Name: "/lib64/ld-linux-x86-64.so.2", Path: "/lib64/ld-linux-x86-64.so.2", Direct: true},
	}
	if got := Parse([]byte(out), nil, Glibc); !reflect.DeepEqual(got, want) {
		t.Errorf("glibc: got %+v\nwant %+v", got, want)
	}
	musl := "\t/lib/ld-musl-x86_64.so.1 (0x7f1)\n\tlibc.musl-x86_64.so.1 => /lib/ld-musl-x86_64.so.1 (0x7f1)\n"
	stderr := "Error loading shared library libnope.so.2: No such file or directory (needed by /tmp/p)\n" +
		"Error relocating /tmp/p: fn: symbol not found\n"
	want = []Line{
		{Name: "/lib/ld-musl-x86_64.so.1", Path: "/lib/ld-musl-x86_64.so.1", Direct: true},
		{Name: "libc.musl-x86_64.so.1", Path: "/lib/ld-musl-x86_64.so.1"},
		{Name: "libnope.so.2"},
	}
	if got := Parse([]byte(musl), []byte(stderr), Musl); !reflect.DeepEqual(got, want) {
		t.Errorf("musl: got %+v\nwant %+v", got, want)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		interp, soname string
		needed         []string
		want           Flavor
	}{
		{"/lib64/ld-linux-x86-64.so.2", "ld-linux-x86-64.so.2", nil, Glibc},
		{"/lib/ld-linux-armhf.so.3", "ld-linux-armhf.so.3", nil, Glibc},
		{"/lib64/ld64.so.2", "ld64.so.2", nil, Glibc},
		{"/lib/ld-musl-x86_64.so.1", "", nil, Musl},
		{"/lib/ld-musl-mipsel-sf.so.1", "libc.so", nil, Musl},
		{"/tmp/ld-linux-x86-64.so.2", "ld-linux-x86-64.so.2", nil, 0}, // not a loader directory
		{"/lib64/ld-linux-x86-64.so.2", "libevil.so", nil, 0},         // not what it says
		{"/lib/ld-musl-x86_64.so.1", "", []string{"libc.so.6"}, 0},    // musl needs nothing
		{"/lib64/evil.so", "evil.so", nil, 0},
		{"/bin/sh", "", nil, 0},
	} {
		got, err := Check(tc.interp, tc.soname, tc.needed, false)
		if got != tc.want || (err != nil) != (tc.want == 0) || err != nil && !errors.Is(err, ErrRefused) {
			t.Errorf("Check(%s, %q, %q) = %v, %v; want %v", tc.interp, tc.soname, tc.needed, got, err, tc.want)
		}
	}
}

// TestTableLoadersAllowed: every loader the architecture table names is
// one Check lets run, so the allowlist and the table cannot drift apart.
func TestTableLoadersAllowed(t *testing.T) {
	for _, a := range arch.ABIs() {
		if a.Loader != "" {
			if f, err := Check(a.Loader, path.Base(a.Loader), nil, false); f != Glibc {
				t.Errorf("%s (%s): %v", a.Loader, a.Triplet, err)
			}
		}
		if a.Musl != "" {
			l := "/lib/ld-musl-" + a.Musl + ".so.1"
			if f, err := Check(l, "", nil, false); f != Musl {
				t.Errorf("%s: %v", l, err)
			}
		}
	}
}
