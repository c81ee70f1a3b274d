package ldcache

import (
	"debug/elf"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestParseMuslPath(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"/lib\n/usr/lib\n", []string{"/lib", "/usr/lib"}},
		{"/a:/b\n\n::/c", []string{"/a", "/b", "/c"}},
		{"/a\x00/b", []string{"/a"}},
		{" /a \n# no comments\n/b/\r\n", []string{" /a ", "# no comments", "/b/\r"}},
		{"", []string{}},
		{"\n:\n", []string{}},
		{MuslDefaultPath, []string{"/lib", "/usr/local/lib", "/usr/lib"}},
	} {
		got := ParseMuslPath([]byte(tc.in))
		if got == nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseMuslPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMuslPathFile(t *testing.T) {
	for interp, want := range map[string]string{
		"/lib/ld-musl-x86_64.so.1":                "/etc/ld-musl-x86_64.path",
		"/usr/lib/ld-musl-x86_64.so.1":            "/usr/etc/ld-musl-x86_64.path",
		"/usr/local/musl/lib/ld-musl-x86_64.so.1": "/usr/local/musl/etc/ld-musl-x86_64.path",
		"/ld-musl-x86_64.so.1":                    "/etc/ld-musl-x86_64.path",
		"ld-musl-x86_64.so.1":                     "/etc/ld-musl-x86_64.path",
		"lib/ld-musl-x86_64.so.1":                 "/etc/ld-musl-x86_64.path",
	} {
		if got := MuslPathFile(interp, "x86_64"); got != want {
			t.Errorf("MuslPathFile(%q) = %q, want %q", interp, got, want)
		}
	}
}

func TestMuslArch(t *testing.T) {
	const (
		c32 = elf.ELFCLASS32
		c64 = elf.ELFCLASS64
		le  = elf.ELFDATA2LSB
		be  = elf.ELFDATA2MSB
	)
	for _, tc := range []struct {
		m      elf.Machine
		c      elf.Class
		d      elf.Data
		eflags uint32
		want   string
	}{
		{elf.EM_X86_64, c64, le, 0, "x86_64"},
		{elf.EM_X86_64, c32, le, 0, "x32"},
		{elf.EM_386, c32, le, 0, "i386"},
		{elf.EM_AARCH64, c64, le, 0, "aarch64"},
		{elf.EM_AARCH64, c64, be, 0, "aarch64_be"},
		{elf.EM_ARM, c32, le, 0x05000400, "armhf"},
		{elf.EM_ARM, c32, le, 0x05000200, "arm"},
		{elf.EM_ARM, c32, be, 0x05000400, "armebhf"},
		{elf.EM_MIPS, c32, be, 0x70001007, "mips"},
		{elf.EM_MIPS, c32, le, 0x90001407, "mipsr6el"},
		{elf.EM_MIPS, c32, le, 0x80000027, "mipsn32el"},
		{elf.EM_MIPS, c64, be, 0xa0000407, "mips64r6"},
		{elf.EM_PPC, c32, be, 0, "powerpc"},
		{elf.EM_PPC64, c64, le, 2, "powerpc64le"},
		{elf.EM_PPC64, c64, be, 1, "powerpc64"},
		{elf.EM_S390, c64, be, 0, "s390x"},
		{elf.EM_S390, c32, be, 0, ""},
		{elf.EM_RISCV, c64, le, 0x5, "riscv64"},
		{elf.EM_RISCV, c64, le, 0x1, "riscv64-sf"},
		{elf.EM_RISCV, c32, le, 0x2, "riscv32-sp"},
		{elf.EM_RISCV, c64, le, 0x6, ""},
		{elf.EM_LOONGARCH, c64, le, 0x43, "loongarch64"},
		{elf.EM_LOONGARCH, c64, le, 0x1, "loongarch64-sf"},
		{elf.EM_68K, c32, be, 0, "m68k"},
		{elf.EM_MICROBLAZE, c32, le, 0, "microblazeel"},
		{elf.EM_OPENRISC, c32, be, 0, "or1k"},
		{elf.EM_SH, c32, le, 0, "sh"},
		{elf.EM_SH, c32, be, 0x8000, "sheb-fdpic"},
		{elf.EM_SPARCV9, c64, be, 0, ""},
	} {
		got, ok := MuslArch(tc.m, tc.c, tc.d, tc.eflags)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("MuslArch(%v, %v, %v, %#x) = %q, %v; want %q", tc.m, tc.c, tc.d, tc.eflags, got, ok, tc.want)
		}
	}
	for interp, want := range map[string]string{
		"/lib/ld-musl-x86_64.so.1":  "x86_64",
		"/lib/ld-musl-armhf.so.1":   "armhf",
		"ld-musl-mipsel-sf.so.1":    "mipsel-sf",
		"/lib/ld-musl-.so.1":        "",
		"/lib/ld-linux.so.2":        "",
		"/lib/ld-musl-x86_64.so.1x": "",
	} {
		got, ok := MuslArchFromInterp(interp)
		if got != want || ok != (want != "") {
			t.Errorf("MuslArchFromInterp(%q) = %q, %v; want %q", interp, got, ok, want)
		}
	}
}

// TestMuslLoader runs musl's loader, chrooted into a tree, with several
// path files, and checks it finds exactly the libraries in the directories
// ParseMuslPath lists.
func TestMuslLoader(t *testing.T) {
	const ldso = "/lib/ld-musl-x86_64.so.1"
	if runtime.GOARCH != "amd64" || !isExecutable(ldso) {
		t.Skip("no x86-64 musl loader")
	}
	if os.Geteuid() != 0 {
		t.Skip("the loader runs in a chroot, which needs root")
	}
	gcc := tool(t, "gcc")
	if arch, ok := MuslArchFromInterp(ldso); !ok || arch != "x86_64" {
		t.Fatalf("MuslArchFromInterp(%s) = %q", ldso, arch)
	}
	tmp := t.TempDir()
	root := filepath.Join(tmp, "root")
	copyFile(t, ldso, root+ldso, 0o755)
	src := filepath.Join(tmp, "f.c")
	if err := os.WriteFile(src, []byte("int f(void) { return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// libpa…libpd in /opt/a…/opt/d, libpe in /usr/lib (a default
	// directory). Names must not be musl's own: libc.so, libm.so…
	dirs := map[string]string{"libpa.so": "/opt/a", "libpb.so": "/opt/b", "libpc.so": "/opt/c", "libpd.so": "/opt/d", "libpe.so": "/usr/lib"}
	var libs []string
	for name, dir := range dirs {
		if err := os.MkdirAll(root+dir, 0o755); err != nil {
			t.Fatal(err)
		}
		out := root + dir + "/" + name
		run(t, gcc, "-shared", "-nostdlib", "-fPIC", "-Wl,-z,noexecstack", "-Wl,-soname,"+name, "-o", out, src)
		libs = append(libs, out)
	}
	run(t, gcc, append([]string{"-shared", "-nostdlib", "-fPIC", "-Wl,-z,noexecstack", "-Wl,--no-as-needed", "-o", root + "/probe.so", src}, libs...)...)

	pathFile := root + MuslPathFile(ldso, "x86_64")
	if err := os.MkdirAll(filepath.Dir(pathFile), 0o755); err != nil {
		t.Fatal(err)
	}
	found := regexp.MustCompile(`^\t(\S+) => (\S+) \(`)
	list := func(ldso string) (map[string]string, string) {
		cmd := exec.Command(ldso, "--list", "/probe.so")
		cmd.Env = []string{}
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
		out, err := cmd.CombinedOutput() // exits 127 when a library is missing
		if _, exited := err.(*exec.ExitError); err != nil && !exited {
			t.Skipf("cannot run %s in a chroot: %v", ldso, err)
		}
		got := map[string]string{}
		for _, l := range strings.Split(string(out), "\n") {
			if m := found.FindStringSubmatch(l); m != nil && strings.HasPrefix(m[1], "libp") {
				got[m[1]] = path.Clean(m[2])
			}
		}
		return got, string(out)
	}
	for _, content := range []string{"", "/opt/a\n\n/opt/b:/opt/c\x00/opt/d\n", "# c\n/opt/d\n /opt/a\n/opt/b/\n", "::/opt/c::", "none"} {
		var search []string
		if content == "none" {
			os.Remove(pathFile)
			search = ParseMuslPath([]byte(MuslDefaultPath))
		} else {
			if err := os.WriteFile(pathFile, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			search = ParseMuslPath([]byte(content))
		}
		got, out := list(ldso)
		for name, dir := range dirs {
			want := ""
			if slices.ContainsFunc(search, func(d string) bool { return path.Clean(d) == dir }) {
				want = dir + "/" + name
			}
			if got[name] != want {
				t.Errorf("path file %q: %s found at %q, want %q\n%s", content, name, got[name], want, out)
			}
		}
	}

	// A loader elsewhere reads the path file beside its own directory.
	other := "/usr/local/musl/lib/ld-musl-x86_64.so.1"
	copyFile(t, ldso, root+other, 0o755)
	otherFile := root + MuslPathFile(other, "x86_64")
	if err := os.MkdirAll(filepath.Dir(otherFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(otherFile, []byte("/opt/d\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, out := list(other); len(got) != 1 || got["libpd.so"] != "/opt/d/libpd.so" {
		t.Errorf("%s with %s: found %q\n%s", other, otherFile, got, out)
	}
}
