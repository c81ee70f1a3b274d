package ldcache

import (
	"debug/elf"
	"strconv"
)

// Flags is the flags word of a cache entry: the kind of library (low byte)
// and the ABI it needs (second byte), as ldconfig classified it. The values
// are glibc's FLAG_* constants of sysdeps/generic/ldconfig.h.
type Flags int32

// Kinds (Flags&FlagTypeMask).
const (
	FlagLibc4    Flags = 0x0000 // a.out libc4: never accepted by an ELF loader
	FlagELF      Flags = 0x0001 // ELF, linked against no known libc
	FlagELFLibc5 Flags = 0x0002 // ELF, linked against libc.so.5
	FlagELFLibc6 Flags = 0x0003 // ELF, glibc 2 (libc.so.6)
	FlagTypeMask Flags = 0x00ff
	FlagRequired Flags = 0xff00 // mask of the ABI byte
)

// ABIs (Flags&FlagRequired). Zero is the generic ABI of the 32-bit
// architectures that have no ABI variant (i386, 32-bit PowerPC, s390, SPARC,
// MIPS o32, m68k…), and of Alpha.
const (
	FlagSPARCLib64          Flags = 0x0100
	FlagIA64Lib64           Flags = 0x0200 // removed in glibc 2.37
	FlagX8664Lib64          Flags = 0x0300
	FlagS390Lib64           Flags = 0x0400
	FlagPowerPCLib64        Flags = 0x0500
	FlagMIPS64LibN32        Flags = 0x0600
	FlagMIPS64LibN64        Flags = 0x0700
	FlagX8664LibX32         Flags = 0x0800
	FlagARMLibHF            Flags = 0x0900
	FlagAArch64Lib64        Flags = 0x0a00
	FlagARMLibSF            Flags = 0x0b00
	FlagMIPSLib32NaN2008    Flags = 0x0c00
	FlagMIPS64LibN32NaN2008 Flags = 0x0d00
	FlagMIPS64LibN64NaN2008 Flags = 0x0e00
	FlagRISCVFloatABISoft   Flags = 0x0f00
	FlagRISCVFloatABIDouble Flags = 0x1000
	FlagLArchFloatABISoft   Flags = 0x1100 // glibc 2.36 and later
	FlagLArchFloatABIDouble Flags = 0x1200
)

// Type is the kind of library: FlagELFLibc6 for every current library.
func (f Flags) Type() Flags { return f & FlagTypeMask }

// Required is the ABI byte: FlagX8664Lib64, FlagAArch64Lib64…, or zero.
func (f Flags) Required() Flags { return f & FlagRequired }

var typeNames = [...]string{"libc4", "ELF", "libc5", "libc6"}

var requiredNames = map[Flags]string{
	FlagSPARCLib64:          "64bit",
	FlagIA64Lib64:           "IA-64",
	FlagX8664Lib64:          "x86-64",
	FlagS390Lib64:           "64bit",
	FlagPowerPCLib64:        "64bit",
	FlagMIPS64LibN32:        "N32",
	FlagMIPS64LibN64:        "64bit",
	FlagX8664LibX32:         "x32",
	FlagARMLibHF:            "hard-float",
	FlagAArch64Lib64:        "AArch64",
	FlagARMLibSF:            "soft-float",
	FlagMIPSLib32NaN2008:    "nan2008",
	FlagMIPS64LibN32NaN2008: "N32,nan2008",
	FlagMIPS64LibN64NaN2008: "64bit,nan2008",
	FlagRISCVFloatABISoft:   "soft-float",
	FlagRISCVFloatABIDouble: "double-float",
	FlagLArchFloatABISoft:   "soft-float",
	FlagLArchFloatABIDouble: "double-float",
}

// String renders the flags the way "ldconfig -p" prints them between the
// parentheses, without the hwcap part: "libc6,x86-64", "libc6,AArch64",
// "libc6", "ELF". Like ldconfig, an unknown kind prints "unknown" and an
// unknown ABI byte prints as a decimal number (",4864"). ABI names are those
// of current glibc: glibc 2.36's ldconfig still prints ",IA-64" and does not
// know LoongArch (",4352"); this renders both.
func (f Flags) String() string {
	var s string
	if t := f.Type(); int(t) < len(typeNames) {
		s = typeNames[t]
	} else {
		s = "unknown"
	}
	switch r := f.Required(); {
	case r == 0:
	case requiredNames[r] != "":
		s += "," + requiredNames[r]
	default:
		s += "," + strconv.Itoa(int(r))
	}
	return s
}

// ELF tells which ELF files carry these flags: the machine and class that
// ldconfig gives them for. ok is false for flags that do not name a single
// machine: the generic ABI (plain FlagELFLibc6 is every 32-bit architecture
// without variants, and Alpha) and unknown values. RISC-V flags say nothing
// of the class: class is then elf.ELFCLASSNONE.
func (f Flags) ELF() (machine elf.Machine, class elf.Class, ok bool) {
	if f.Type() != FlagELFLibc6 {
		return 0, 0, false
	}
	switch f.Required() {
	case FlagSPARCLib64:
		return elf.EM_SPARCV9, elf.ELFCLASS64, true
	case FlagIA64Lib64:
		return elf.EM_IA_64, elf.ELFCLASS64, true
	case FlagX8664Lib64:
		return elf.EM_X86_64, elf.ELFCLASS64, true
	case FlagS390Lib64:
		return elf.EM_S390, elf.ELFCLASS64, true
	case FlagPowerPCLib64:
		return elf.EM_PPC64, elf.ELFCLASS64, true
	case FlagMIPS64LibN32, FlagMIPS64LibN32NaN2008, FlagMIPSLib32NaN2008:
		return elf.EM_MIPS, elf.ELFCLASS32, true
	case FlagMIPS64LibN64, FlagMIPS64LibN64NaN2008:
		return elf.EM_MIPS, elf.ELFCLASS64, true
	case FlagX8664LibX32:
		return elf.EM_X86_64, elf.ELFCLASS32, true
	case FlagARMLibHF, FlagARMLibSF:
		return elf.EM_ARM, elf.ELFCLASS32, true
	case FlagAArch64Lib64:
		return elf.EM_AARCH64, elf.ELFCLASS64, true
	case FlagRISCVFloatABISoft, FlagRISCVFloatABIDouble:
		return elf.EM_RISCV, elf.ELFCLASSNONE, true
	case FlagLArchFloatABISoft, FlagLArchFloatABIDouble:
		return elf.EM_LOONGARCH, elf.ELFCLASS64, true
	}
	return 0, 0, false
}
