package ldcache_test

import (
	"debug/elf"
	"fmt"
	"os"
	"testing/fstest"

	"github.com/fromscratch/fromscratch/elfscan/ldcache"
)

// The cache in testdata is what ldconfig wrote for a tree with libraries in
// /opt/lib and its glibc-hwcaps subdirectories.
func ExampleParse() {
	data, err := os.ReadFile("testdata/ld.so.cache")
	if err != nil {
		panic(err)
	}
	c, err := ldcache.Parse(data)
	if err != nil {
		panic(err)
	}
	// Print it as "ldconfig -p" does.
	fmt.Printf("%d libs found in cache\n", len(c.Entries))
	for _, e := range c.Entries {
		fmt.Printf("\t%s\n", e)
	}
	// Output:
	// 8 libs found in cache
	// 	libv2only.so.1 (libc6,x86-64, hwcap: "x86-64-v2") => /opt/lib/glibc-hwcaps/x86-64-v2/libv2only.so.1
	// 	libplain.so.1 (libc6,x86-64) => /opt/lib/libplain.so.1
	// 	libisa.so.1 (libc6,x86-64, hwcap: "x86-64-v3") => /opt/lib/glibc-hwcaps/x86-64-v3/libisa.so.1
	// 	libisa.so.1 (libc6,x86-64) => /opt/lib/libisa.so.1
	// 	libhw.so.1 (libc6,x86-64, hwcap: "custom") => /opt/lib/glibc-hwcaps/custom/libhw.so.1
	// 	libhw.so.1 (libc6,x86-64, hwcap: "x86-64-v2") => /opt/lib/glibc-hwcaps/x86-64-v2/libhw.so.1
	// 	libhw.so.1 (libc6,x86-64, hwcap: "x86-64-v3") => /opt/lib/glibc-hwcaps/x86-64-v3/libhw.so.1
	// 	libhw.so.1 (libc6,x86-64) => /opt/lib/libhw.so.1
}

func ExampleCache_Lookup() {
	// Load reads through an FS: here a directory of the host, as if it
	// were the root of an image.
	c, err := ldcache.Load(ldcache.FromFS(os.DirFS("testdata")), "/ld.so.cache")
	if err != nil {
		panic(err)
	}
	// The loader of an x86-64 program…
	abi, _ := ldcache.ABIFor(elf.EM_X86_64, elf.ELFCLASS64, 0)
	// …on CPUs of three levels.
	for _, hwcaps := range [][]string{nil, {"x86-64-v2"}, {"x86-64-v3", "x86-64-v2"}} {
		path, sub, ok := c.Lookup("libhw.so.1", abi, hwcaps)
		fmt.Printf("%v: %s %q %v\n", hwcaps, path, sub, ok)
	}
	// An aarch64 loader takes none of these entries.
	arm64, _ := ldcache.ABIFor(elf.EM_AARCH64, elf.ELFCLASS64, 0)
	_, _, ok := c.Lookup("libhw.so.1", arm64, nil)
	fmt.Println("aarch64:", ok)
	// Output:
	// []: /opt/lib/libhw.so.1 "" true
	// [x86-64-v2]: /opt/lib/glibc-hwcaps/x86-64-v2/libhw.so.1 "x86-64-v2" true
	// [x86-64-v3 x86-64-v2]: /opt/lib/glibc-hwcaps/x86-64-v3/libhw.so.1 "x86-64-v3" true
	// aarch64: false
}

func ExampleDefaultFlags() {
	for _, p := range []struct {
		m      elf.Machine
		c      elf.Class
		eflags uint32
	}{
		{elf.EM_X86_64, elf.ELFCLASS64, 0},
		{elf.EM_AARCH64, elf.ELFCLASS64, 0},
		{elf.EM_ARM, elf.ELFCLASS32, 0x05000400}, // EABI 5, hard float
		{elf.EM_386, elf.ELFCLASS32, 0},
		{elf.EM_RISCV, elf.ELFCLASS64, 0x5}, // RVC, double float
	} {
		f, _ := ldcache.DefaultFlags(p.m, p.c, p.eflags)
		fmt.Printf("%-10v %#04x %s\n", p.m, int32(f), f)
	}
	// Output:
	// EM_X86_64  0x0303 libc6,x86-64
	// EM_AARCH64 0x0a03 libc6,AArch64
	// EM_ARM     0x0903 libc6,hard-float
	// EM_386     0x0003 libc6
	// EM_RISCV   0x1003 libc6,double-float
}

func ExampleParseConf() {
	fsys := ldcache.FromFS(fstest.MapFS{
		"etc/ld.so.conf":                         {Data: []byte("include /etc/ld.so.conf.d/*.conf\n")},
		"etc/ld.so.conf.d/libc.conf":             {Data: []byte("# libc default configuration\n/usr/local/lib\n")},
		"etc/ld.so.conf.d/x86_64-linux-gnu.conf": {Data: []byte("# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n")},
	})
	dirs, err := ldcache.ParseConf(fsys, "/etc/ld.so.conf")
	if err != nil {
		panic(err)
	}
	for _, d := range dirs {
		fmt.Println(d)
	}
	// Output:
	// /usr/local/lib
	// /usr/local/lib/x86_64-linux-gnu
	// /lib/x86_64-linux-gnu
	// /usr/lib/x86_64-linux-gnu
}

func ExampleParseMuslPath() {
	interp := "/lib/ld-musl-aarch64.so.1" // PT_INTERP of the program
	arch, _ := ldcache.MuslArchFromInterp(interp)
	file := ldcache.MuslPathFile(interp, arch)
	fmt.Println(file)
	fmt.Printf("%q\n", ldcache.ParseMuslPath([]byte("/usr/local/lib\n/usr/lib:/lib\n")))
	// No path file: the default.
	fmt.Printf("%q\n", ldcache.ParseMuslPath([]byte(ldcache.MuslDefaultPath)))
	// Output:
	// /etc/ld-musl-aarch64.path
	// ["/usr/local/lib" "/usr/lib" "/lib"]
	// ["/lib" "/usr/local/lib" "/usr/lib"]
}

func ExampleMuslArch() {
	arch, ok := ldcache.MuslArch(elf.EM_ARM, elf.ELFCLASS32, elf.ELFDATA2LSB, 0x05000400)
	fmt.Println(arch, ok)
	arch, ok = ldcache.MuslArch(elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2LSB, 2)
	fmt.Println(arch, ok)
	// Output:
	// armhf true
	// powerpc64le true
}
