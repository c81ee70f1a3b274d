package ldcache

import (
	"debug/elf"
	"strings"
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

// MIPS e_flags ISA revisions 6.
const (
	efMIPSArch     = 0xf0000000 // EF_MIPS_ARCH
	efMIPSArch32R6 = 0x90000000
	efMIPSArch64R6 = 0xa0000000
)

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
	is64 := class == elf.ELFCLASS64
	is32 := class == elf.ELFCLASS32
	be := data == elf.ELFDATA2MSB
	pick := func(cond bool, s string) string {
		if cond {
			return s
		}
		return ""
	}
	switch machine {
	case elf.EM_X86_64:
		if is64 {
			return "x86_64", true
		}
		if is32 {
			return "x32", true
		}
	case elf.EM_386:
		if is32 {
			return "i386", true
		}
	case elf.EM_AARCH64:
		if is64 {
			return "aarch64" + pick(be, "_be"), true
		}
	case elf.EM_ARM:
		if is32 {
			return "arm" + pick(be, "eb") + pick(eflags&EFARMABIFloatHard != 0, "hf"), true
		}
	case elf.EM_MIPS, elf.EM_MIPS_RS3_LE:
		name := "mips"
		switch {
		case is64:
			name = "mips64"
		case is32 && eflags&EFMIPSABI2 != 0:
			name = "mipsn32"
		case !is32:
			return "", false
		}
		r6 := eflags&efMIPSArch == efMIPSArch32R6 || eflags&efMIPSArch == efMIPSArch64R6
		return name + pick(r6, "r6") + pick(!be, "el"), true
	case elf.EM_PPC:
		if is32 {
			return "powerpc", true
		}
	case elf.EM_PPC64:
		if is64 {
			return "powerpc64" + pick(!be, "le"), true
		}
	case elf.EM_S390:
		if is64 {
			return "s390x", true
		}
	case elf.EM_RISCV:
		name := "riscv64"
		if is32 {
			name = "riscv32"
		} else if !is64 {
			return "", false
		}
		switch eflags & efRISCVFloatABI {
		case efRISCVSoft:
			return name + "-sf", true
		case efRISCVSingle:
			return name + "-sp", true
		case efRISCVDouble:
			return name, true
		}
	case elf.EM_LOONGARCH:
		if is64 {
			switch eflags & efLArchABIMask {
			case efLArchSoft:
				return "loongarch64-sf", true
			case efLArchSingle:
				return "loongarch64-sp", true
			case efLArchDouble:
				return "loongarch64", true
			}
		}
	case elf.EM_68K:
		if is32 {
			return "m68k", true
		}
	case elf.EM_MICROBLAZE:
		if is32 {
			return "microblaze" + pick(!be, "el"), true
		}
	case elf.EM_OPENRISC:
		if is32 {
			return "or1k", true
		}
	case elf.EM_SH:
		if is32 {
			return "sh" + pick(be, "eb") + pick(eflags&efSHFDPIC != 0, "-fdpic"), true
		}
	}
	return "", false
}

// efSHFDPIC is EF_SH_FDPIC.
const efSHFDPIC = 0x8000
