package ldcache

import (
	"debug/elf"
	"strings"

	"github.com/fromscratch/fromscratch/internal/arch"
)

// MuslDefaultPath is the search path musl's loader uses when its path file
// does not exist (when it exists but cannot be read, or is empty, the
// loader searches no system directory at all).
const MuslDefaultPath = "/lib:/usr/local/lib:/usr/lib"

// ParseMuslPath returns the directories of a musl path file
// (/etc/ld-musl-$ARCH.path), in order, as musl's loader reads it
// (path_open in ldso/dynlink.c): the text up to the first NUL, cut at every
// ':' and newline, empty pieces dropped. Nothing else is special: no
// comments, no trimming of spaces. The result is empty, not nil, for a file
// with no directory: the loader then searches none.
func ParseMuslPath(data []byte) []string {
	s := string(data)
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	dirs := []string{}
	for _, d := range strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == '\n' }) {
		dirs = append(dirs, d)
	}
	return dirs
}

// MuslPathFile returns the path file the musl loader named interp reads for
// $ARCH arch: "etc/ld-musl-<arch>.path" under the directory above the one
// holding the loader. For the usual "/lib/ld-musl-x86_64.so.1" that is
// "/etc/ld-musl-x86_64.path"; for "/usr/local/musl/lib/ld-musl-x86_64.so.1"
// it is "/usr/local/musl/etc/ld-musl-x86_64.path". interp is the loader's
// name as the program gives it (PT_INTERP), not resolved; musl takes the
// same name when it runs as ldd.
func MuslPathFile(interp, arch string) string {
	prefix := ""
	if strings.HasPrefix(interp, "/") {
		// The part before the second-to-last slash, as dynlink.c cuts it.
		last, prev := 0, 0
		for i := 0; i < len(interp); i++ {
			if interp[i] == '/' {
				prev, last = last, i
			}
		}
		prefix = interp[:prev]
	}
	return prefix + "/etc/ld-musl-" + arch + ".path"
}

// MuslArchFromInterp returns the $ARCH of a musl loader from its name,
// "/lib/ld-musl-armhf.so.1" giving "armhf". It is the exact name the
// loader was built with, variants the ELF header does not show included.
func MuslArchFromInterp(interp string) (string, bool) {
	base := interp[strings.LastIndexByte(interp, '/')+1:]
	arch, ok := strings.CutPrefix(base, "ld-musl-")
	if !ok {
		return "", false
	}
	arch, ok = strings.CutSuffix(arch, ".so.1")
	if !ok || arch == "" {
		return "", false
	}
	return arch, true
}

// MuslArch returns the $ARCH musl's loader for programs of this ELF machine,
// class, data encoding and e_flags has (LDSO_ARCH in musl's
// arch/*/reloc.h): "x86_64", "aarch64", "armhf", "powerpc64le", "riscv64",
// "mipsel-sf"… ok is false for a machine musl does not support.
//
// Some variants are not in the ELF header: soft-float MIPS, PowerPC and
// m68k ("-sf"), ColdFire ("-fp64") and SH without FPU ("-nofpu"). For
// those the hard-float name is returned; MuslArchFromInterp reads the exact
// name from the program's interpreter.
func MuslArch(machine elf.Machine, class elf.Class, data elf.Data, eflags uint32) (string, bool) {
	a, _ := arch.Lookup(machine, class, data, eflags)
	return a.Musl, a.Musl != ""
}
