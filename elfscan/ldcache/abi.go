package ldcache

import (
	"debug/elf"

	"github.com/fromscratch/fromscratch/internal/arch"
)

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
	a, ok := arch.Lookup(machine, class, 0, eflags)
	unsigned := a.UnsignedChar
	switch {
	case !ok:
	case a.Cache == arch.CacheGeneric:
		return ABI{Flags: FlagELFLibc6, Compat: FlagELF, DefaultID: FlagELFLibc6, UnsignedChar: unsigned}, true
	case a.Cache == arch.CacheOnly:
		f := FlagELFLibc6 | Flags(a.CacheFlag)
		return ABI{Flags: f, DefaultID: f, UnsignedChar: unsigned}, true
	case a.Cache == arch.CacheARM:
		return ABI{Flags: FlagELFLibc6 | Flags(a.CacheFlag), Compat: FlagELFLibc6, DefaultID: FlagELFLibc6, UnsignedChar: unsigned}, true
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
