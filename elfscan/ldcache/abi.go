package ldcache

import "debug/elf"

// An ABI is what one build of glibc's loader accepts from the cache: the
// values its _dl_cache_check_flags lets through and its
// _DL_CACHE_DEFAULT_ID. Get it from ABIFor; the zero ABI accepts nothing.
type ABI struct {
	// Flags is what ldconfig writes for a library of this ABI (what
	// DefaultFlags returns), e.g. FlagELFLibc6|FlagX8664Lib64.
	Flags Flags
	// Compat is a second value the loader accepts, or 0 for none:
	// FlagELF on the generic ABI (libraries linked against no libc), and
	// FlagELFLibc6 on ARM (objects without a float-ABI mark).
	Compat Flags
	// DefaultID is the loader's _DL_CACHE_DEFAULT_ID. An accepted entry
	// of the old format with these flags ends the search at once; it is
	// Flags except on ARM, where it is plain FlagELFLibc6.
	DefaultID Flags
	// UnsignedChar tells that char is unsigned in the C ABI of the
	// architecture (ARM, AArch64, PowerPC, s390, RISC-V…). The loader's
	// name comparison, and so its binary search, orders bytes from 0x80
	// on by it.
	UnsignedChar bool
}

// Accepts reports whether the loader takes an entry with flags f.
func (a ABI) Accepts(f Flags) bool {
	return f == a.Flags || (a.Compat != 0 && f == a.Compat)
}

// emCSKY is EM_CSKY, which debug/elf does not name.
const emCSKY elf.Machine = 252

// ELF e_flags bits that select the ABI.
const (
	efRISCVFloatABI = 0x6 // EF_RISCV_FLOAT_ABI
	efRISCVSoft     = 0x0
	efRISCVSingle   = 0x2
	efRISCVDouble   = 0x4
	efLArchABIMask  = 0x7  // EF_LARCH_ABI_MODIFIER_MASK
	efLArchObjABIV1 = 0x40 // EF_LARCH_OBJABI_V1, ignored by ldconfig
	efLArchSoft     = 0x1
	efLArchSingle   = 0x2
	efLArchDouble   = 0x3
)

// generic is the ABI of sysdeps/generic/dl-cache.h: libc6 or plain ELF.
func generic(unsignedChar bool) ABI {
	return ABI{Flags: FlagELFLibc6, Compat: FlagELF, DefaultID: FlagELFLibc6, UnsignedChar: unsignedChar}
}

// only is the ABI of a loader that accepts exactly one flags value.
func only(required Flags, unsignedChar bool) ABI {
	f := FlagELFLibc6 | required
	return ABI{Flags: f, DefaultID: f, UnsignedChar: unsignedChar}
}

// ABIFor returns the cache ABI of glibc's loader for programs of the given
// ELF machine, class and e_flags (those of the program, or of its
// interpreter). ok is false for a combination glibc has no loader for, such
// as 32-bit RISC-V with the single-float ABI.
//
// ARM objects that carry no float-ABI mark are taken as soft-float (the
// loader glibc builds without __ARM_PCS_VFP). MIPS o32 without the 2008 NaN
// encoding, i386, 32-bit PowerPC, 31-bit s390, 32-bit SPARC, m68k, Alpha
// and the other architectures without their own dl-cache.h use the generic
// ABI: FlagELFLibc6, or FlagELF.
func ABIFor(machine elf.Machine, class elf.Class, eflags uint32) (ABI, bool) {
	is64 := class == elf.ELFCLASS64
	is32 := class == elf.ELFCLASS32
	switch machine {
	case elf.EM_X86_64:
		if is64 {
			return only(FlagX8664Lib64, false), true
		}
		if is32 {
			return only(FlagX8664LibX32, false), true
		}
	case elf.EM_386:
		if is32 {
			return generic(false), true
		}
	case elf.EM_AARCH64:
		if is64 {
			return only(FlagAArch64Lib64, true), true
		}
	case elf.EM_ARM:
		if is32 {
			f := FlagELFLibc6 | FlagARMLibSF
			if eflags&EFARMABIFloatHard != 0 {
				f = FlagELFLibc6 | FlagARMLibHF
			}
			return ABI{Flags: f, Compat: FlagELFLibc6, DefaultID: FlagELFLibc6, UnsignedChar: true}, true
		}
	case elf.EM_PPC:
		if is32 {
			return generic(true), true
		}
	case elf.EM_PPC64:
		if is64 {
			return only(FlagPowerPCLib64, true), true
		}
	case elf.EM_S390:
		if is64 {
			return only(FlagS390Lib64, true), true
		}
		if is32 {
			return generic(true), true
		}
	case elf.EM_SPARC, elf.EM_SPARC32PLUS:
		if is32 {
			return generic(false), true
		}
	case elf.EM_SPARCV9:
		if is64 {
			return only(FlagSPARCLib64, false), true
		}
	case elf.EM_IA_64:
		if is64 {
			return only(FlagIA64Lib64, false), true
		}
	case elf.EM_MIPS, elf.EM_MIPS_RS3_LE:
		nan2008 := eflags&EFMIPSNaN2008 != 0
		switch {
		case is64 && nan2008:
			return only(FlagMIPS64LibN64NaN2008, false), true
		case is64:
			return only(FlagMIPS64LibN64, false), true
		case is32 && eflags&EFMIPSABI2 != 0 && nan2008:
			return only(FlagMIPS64LibN32NaN2008, false), true
		case is32 && eflags&EFMIPSABI2 != 0:
			return only(FlagMIPS64LibN32, false), true
		case is32 && nan2008:
			return only(FlagMIPSLib32NaN2008, false), true
		case is32:
			return generic(false), true
		}
	case elf.EM_RISCV:
		if is32 || is64 {
			switch eflags & efRISCVFloatABI {
			case efRISCVSoft:
				return only(FlagRISCVFloatABISoft, true), true
			case efRISCVDouble:
				return only(FlagRISCVFloatABIDouble, true), true
			}
		}
	case elf.EM_LOONGARCH:
		if is64 {
			switch (eflags &^ efLArchObjABIV1) & efLArchABIMask {
			case efLArchSoft:
				return only(FlagLArchFloatABISoft, false), true
			case efLArchDouble:
				return only(FlagLArchFloatABIDouble, false), true
			}
		}
	case elf.EM_68K, elf.EM_PARISC, elf.EM_SH, elf.EM_MICROBLAZE, elf.EM_ALTERA_NIOS2, elf.EM_OPENRISC:
		if is32 {
			return generic(false), true
		}
	case elf.EM_ARC_COMPACT2, emCSKY:
		if is32 {
			return generic(true), true
		}
	case elf.EM_ALPHA, elf.EM_ALPHA_STD:
		if is64 {
			return generic(false), true
		}
	}
	return ABI{}, false
}

// DefaultFlags returns the flags ldconfig writes for libraries that glibc's
// loader for programs of this machine, class and e_flags accepts: the
// preferred value of ABIFor. ok is false when glibc has no such loader.
func DefaultFlags(machine elf.Machine, class elf.Class, eflags uint32) (Flags, bool) {
	a, ok := ABIFor(machine, class, eflags)
	return a.Flags, ok
}
