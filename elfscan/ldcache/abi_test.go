package ldcache

import (
	"debug/elf"
	"testing"

	"github.com/fromscratch/fromscratch/internal/arch"
)

func TestABIFor(t *testing.T) {
	const (
		c32 = elf.ELFCLASS32
		c64 = elf.ELFCLASS64
	)
	for _, tc := range []struct {
		m      elf.Machine
		c      elf.Class
		eflags uint32
		flags  Flags  // 0: no loader
		compat Flags  // also accepted
		abi    string // Flags.String
	}{
		{elf.EM_X86_64, c64, 0, 0x303, 0, "libc6,x86-64"},
		{elf.EM_X86_64, c32, 0, 0x803, 0, "libc6,x32"},
		{elf.EM_386, c32, 0, 0x003, 0x001, "libc6"},
		{elf.EM_386, c64, 0, 0, 0, ""},
		{elf.EM_AARCH64, c64, 0, 0xa03, 0, "libc6,AArch64"},
		{elf.EM_AARCH64, c32, 0, 0, 0, ""},
		{elf.EM_ARM, c32, 0x05000400, 0x903, 0x003, "libc6,hard-float"},
		{elf.EM_ARM, c32, 0x05000200, 0xb03, 0x003, "libc6,soft-float"},
		{elf.EM_ARM, c32, 0x05000000, 0xb03, 0x003, "libc6,soft-float"},
		{elf.EM_PPC, c32, 0, 0x003, 0x001, "libc6"},
		{elf.EM_PPC64, c64, 2, 0x503, 0, "libc6,64bit"},
		{elf.EM_S390, c64, 0, 0x403, 0, "libc6,64bit"},
		{elf.EM_S390, c32, 0, 0x003, 0x001, "libc6"},
		{elf.EM_SPARC, c32, 0, 0x003, 0x001, "libc6"},
		{elf.EM_SPARCV9, c64, 0, 0x103, 0, "libc6,64bit"},
		{elf.EM_MIPS, c32, 0x70001007, 0x003, 0x001, "libc6"},           // o32
		{elf.EM_MIPS, c32, 0x70001407, 0xc03, 0, "libc6,nan2008"},       // o32, 2008 NaN
		{elf.EM_MIPS, c32, 0x80000027, 0x603, 0, "libc6,N32"},           // n32
		{elf.EM_MIPS, c32, 0x80000427, 0xd03, 0, "libc6,N32,nan2008"},   // n32, 2008 NaN
		{elf.EM_MIPS, c64, 0x80000007, 0x703, 0, "libc6,64bit"},         // n64
		{elf.EM_MIPS, c64, 0x80000407, 0xe03, 0, "libc6,64bit,nan2008"}, // n64, 2008 NaN
		{elf.EM_RISCV, c64, 0x5, 0x1003, 0, "libc6,double-float"},       // RVC, double
		{elf.EM_RISCV, c64, 0x1, 0xf03, 0, "libc6,soft-float"},          // RVC, soft
		{elf.EM_RISCV, c32, 0x4, 0x1003, 0, "libc6,double-float"},       // rv32 double
		{elf.EM_RISCV, c64, 0x2, 0, 0, ""},                              // single float: no glibc
		{elf.EM_LOONGARCH, c64, 0x43, 0x1203, 0, "libc6,double-float"},  // OBJABI v1, double
		{elf.EM_LOONGARCH, c64, 0x1, 0x1103, 0, "libc6,soft-float"},     // soft
		{elf.EM_LOONGARCH, c64, 0x2, 0, 0, ""},                          // single
		{elf.EM_IA_64, c64, 0, 0x203, 0, "libc6,IA-64"},                 // glibc up to 2.37
		{elf.EM_ALPHA, c64, 0, 0x003, 0x001, "libc6"},                   // generic, 64-bit
		{elf.EM_68K, c32, 0, 0x003, 0x001, "libc6"},                     // generic
		{elf.EM_AVR, c32, 0, 0, 0, ""},                                  // no glibc
		{elf.EM_NONE, elf.ELFCLASSNONE, 0, 0, 0, ""},                    // nothing
	} {
		a, ok := ABIFor(tc.m, tc.c, tc.eflags)
		if ok != (tc.flags != 0) || a.Flags != tc.flags || a.Compat != tc.compat {
			t.Errorf("ABIFor(%v, %v, %#x) = %+v, %v; want flags %#x compat %#x", tc.m, tc.c, tc.eflags, a, ok, int32(tc.flags), int32(tc.compat))
			continue
		}
		if f, ok2 := DefaultFlags(tc.m, tc.c, tc.eflags); f != a.Flags || ok2 != ok {
			t.Errorf("DefaultFlags(%v) = %#x, %v", tc.m, int32(f), ok2)
		}
		if !ok {
			continue
		}
		if got := a.Flags.String(); got != tc.abi {
			t.Errorf("%v: flags read %q, want %q", tc.m, got, tc.abi)
		}
		if !a.Accepts(a.Flags) || !a.Accepts(a.DefaultID) || a.Accepts(0) || a.Accepts(0x7f03) || (tc.compat != 0 && !a.Accepts(tc.compat)) {
			t.Errorf("%v: %+v accepts wrongly", tc.m, a)
		}
		// The flags name the machine back, where they name one.
		if m, c, ok := a.Flags.ELF(); ok {
			if m != tc.m || (c != tc.c && c != elf.ELFCLASSNONE) {
				t.Errorf("%#x.ELF() = %v %v, want %v %v", int32(a.Flags), m, c, tc.m, tc.c)
			}
		} else if a.Flags != FlagELFLibc6 {
			t.Errorf("%#x.ELF() names no machine", int32(a.Flags))
		}
	}
}

func TestFlagsString(t *testing.T) {
	for f, want := range map[Flags]string{
		0x0000: "libc4",
		0x0001: "ELF",
		0x0002: "libc5",
		0x0303: "libc6,x86-64",
		0x0a03: "libc6,AArch64",
		0x0b03: "libc6,soft-float",
		0x0403: "libc6,64bit",
		0x0004: "unknown",
		0x1403: "libc6,5120",
		-1:     "unknown,65280",
	} {
		if got := f.String(); got != want {
			t.Errorf("Flags(%#x) = %q, want %q", int32(f), got, want)
		}
	}
	if _, _, ok := Flags(0x0301).ELF(); ok {
		t.Error("plain ELF x86-64 flags are no loader's")
	}
}

// TestTableCacheFlagsNamed: every ABI byte the architecture table gives is
// one of the named Flag constants (the table stores the number, as a leaf
// package, and must not drift from them).
func TestTableCacheFlagsNamed(t *testing.T) {
	for _, a := range arch.ABIs() {
		if a.Cache == arch.CacheNone || a.Cache == arch.CacheGeneric {
			continue
		}
		if _, ok := requiredNames[Flags(a.CacheFlag)]; !ok {
			t.Errorf("%v %v %s: cache flag %#x is not a named flag", a.Machine, a.Class, a.Triplet, a.CacheFlag)
		}
	}
}
