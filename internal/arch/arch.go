// Package arch is the one table of what each architecture's toolchain,
// loader, kernel and distribution call an ABI: the ELF header values that
// select it, its GOARCH, Debian multiarch triplet, musl $ARCH, glibc
// loader, AT_PLATFORM, glibc-hwcaps levels and ld.so.cache flags. elfscan,
// elfscan/ldcache and internal/hostld read it; adding an architecture is
// adding a row to abis.
package arch

import (
	"debug/elf"
	"slices"
)

// ELF e_flags bits that select an ABI, and so a loader, a cache flag, a
// musl arch and a multiarch triplet.
const (
	EFARMEABIMask     = 0xff000000 // EF_ARM_EABIMASK
	EFARMEABIVer5     = 0x05000000 // EF_ARM_EABI_VER5
	EFARMABIFloatSoft = 0x200      // EF_ARM_ABI_FLOAT_SOFT
	EFARMABIFloatHard = 0x400      // EF_ARM_ABI_FLOAT_HARD (EF_ARM_VFP_FLOAT): armhf
	EFMIPSABI2        = 0x20       // EF_MIPS_ABI2: n32
	EFMIPSNaN2008     = 0x400      // EF_MIPS_NAN2008
	EFMIPSFP64        = 0x200      // EF_MIPS_FP64: the old O32 FP64 ABI
	EFMIPSArch        = 0xf0000000 // EF_MIPS_ARCH
	EFMIPSArch32R6    = 0x90000000 // EF_MIPS_ARCH_32R6
	EFMIPSArch64R6    = 0xa0000000 // EF_MIPS_ARCH_64R6
	EFRISCVFloatABI   = 0x6        // EF_RISCV_FLOAT_ABI: soft 0, single 2, double 4
	EFPPC64ABI        = 0x3        // EF_PPC64_ABI: 1 = ELFv1, 2 = ELFv2
	EFLArchABIMask    = 0x7        // EF_LARCH_ABI_MODIFIER_MASK: soft 1, single 2, double 3
	EFSHFDPIC         = 0x8000     // EF_SH_FDPIC
)

// EMCSKY is EM_CSKY, which debug/elf does not name.
const EMCSKY elf.Machine = 252

// A CacheKind is how glibc's loader of an ABI filters ld.so.cache entries
// (_dl_cache_check_flags).
type CacheKind uint8

const (
	// CacheNone: glibc has no loader for the ABI.
	CacheNone CacheKind = iota
	// CacheGeneric accepts libc6 entries and plain ELF ones
	// (sysdeps/generic/dl-cache.h).
	CacheGeneric
	// CacheOnly accepts libc6 entries with the ABI's CacheFlag byte only.
	CacheOnly
	// CacheARM accepts libc6 entries with the ABI's CacheFlag byte or none
	// (objects without a float-ABI mark), plain libc6 being the default.
	CacheARM
)

// An ABI is one row of the table.
type ABI struct {
	// What selects the row: the ELF machine and class, the data encoding
	// (0 for either) and e_flags&Mask == Flags.
	Machine     elf.Machine
	Class       elf.Class
	Data        elf.Data
	Mask, Flags uint32

	GOARCH   string   // the OCI architecture; "" if Go has none
	Variant  string   // the OCI variant, if one for the whole ABI (ARM's is per file)
	Triplet  string   // Debian's multiarch triplet; "" if none
	Musl     string   // musl's $ARCH (LDSO_ARCH); "" if musl has no port
	Loader   string   // glibc's PT_INTERP; "" if unknown
	Platform string   // the kernel's AT_PLATFORM, glibc's $PLATFORM; "" if none
	HWCaps   []string // glibc-hwcaps subdirectories, best first

	Cache        CacheKind
	CacheFlag    uint32 // the ABI byte of the cache flags (FLAG_X8664_LIB64…) for CacheOnly and CacheARM
	UnsignedChar bool   // char is unsigned in the C ABI: the cache's sort order
}

// Short names for the table.
const (
	c32, c64 = elf.ELFCLASS32, elf.ELFCLASS64
	le, be   = elf.ELFDATA2LSB, elf.ELFDATA2MSB
	mipsABI  = EFMIPSABI2 | EFMIPSNaN2008
	mipsR6   = EFMIPSArch | EFMIPSABI2
)

var (
	x86HWCaps   = []string{"x86-64-v4", "x86-64-v3", "x86-64-v2"}
	ppc64HWCaps = []string{"power10", "power9"}
	s390HWCaps  = []string{"z17", "z16", "z15", "z14", "z13"}
)

// abis is the table. The first row that matches wins, so a row with a
// narrower Mask comes before a wider one of the same machine, and a
// machine's last row may match any e_flags for what does not depend on
// them (its GOARCH, triplet, AT_PLATFORM).
var abis = []ABI{
	{Machine: elf.EM_X86_64, Class: c64, GOARCH: "amd64", Triplet: "x86_64-linux-gnu", Musl: "x86_64", Loader: "/lib64/ld-linux-x86-64.so.2", Platform: "x86_64", HWCaps: x86HWCaps, Cache: CacheOnly, CacheFlag: 0x0300},
	{Machine: elf.EM_X86_64, Class: c32, GOARCH: "amd64p32", Triplet: "x86_64-linux-gnux32", Musl: "x32", Loader: "/libx32/ld-linux-x32.so.2", Platform: "x86_64", Cache: CacheOnly, CacheFlag: 0x0800},
	{Machine: elf.EM_386, Class: c32, GOARCH: "386", Triplet: "i386-linux-gnu", Musl: "i386", Loader: "/lib/ld-linux.so.2", Platform: "i686", Cache: CacheGeneric},

	{Machine: elf.EM_AARCH64, Class: c64, Data: le, GOARCH: "arm64", Variant: "v8", Triplet: "aarch64-linux-gnu", Musl: "aarch64", Loader: "/lib/ld-linux-aarch64.so.1", Platform: "aarch64", Cache: CacheOnly, CacheFlag: 0x0a00, UnsignedChar: true},
	{Machine: elf.EM_AARCH64, Class: c64, Data: be, GOARCH: "arm64be", Variant: "v8", Triplet: "aarch64_be-linux-gnu", Musl: "aarch64_be", Loader: "/lib/ld-linux-aarch64_be.so.1", Platform: "aarch64_be", Cache: CacheOnly, CacheFlag: 0x0a00, UnsignedChar: true},
	// The kernel reports the CPU architecture as AT_PLATFORM: v7 on
	// nearly every armhf system.
	{Machine: elf.EM_ARM, Class: c32, Data: le, Mask: EFARMABIFloatHard, Flags: EFARMABIFloatHard, GOARCH: "arm", Triplet: "arm-linux-gnueabihf", Musl: "armhf", Loader: "/lib/ld-linux-armhf.so.3", Platform: "v7l", Cache: CacheARM, CacheFlag: 0x0900, UnsignedChar: true},
	{Machine: elf.EM_ARM, Class: c32, Data: le, Mask: EFARMABIFloatHard, GOARCH: "arm", Triplet: "arm-linux-gnueabi", Musl: "arm", Loader: "/lib/ld-linux.so.3", Platform: "v7l", Cache: CacheARM, CacheFlag: 0x0b00, UnsignedChar: true},
	{Machine: elf.EM_ARM, Class: c32, Data: be, Mask: EFARMABIFloatHard, Flags: EFARMABIFloatHard, GOARCH: "armbe", Triplet: "arm-linux-gnueabihf", Musl: "armebhf", Loader: "/lib/ld-linux-armhf.so.3", Platform: "v7b", Cache: CacheARM, CacheFlag: 0x0900, UnsignedChar: true},
	{Machine: elf.EM_ARM, Class: c32, Data: be, Mask: EFARMABIFloatHard, GOARCH: "armbe", Triplet: "arm-linux-gnueabi", Musl: "armeb", Loader: "/lib/ld-linux.so.3", Platform: "v7b", Cache: CacheARM, CacheFlag: 0x0b00, UnsignedChar: true},

	// ppc64's Platform is the oldest CPU its distributions support.
	{Machine: elf.EM_PPC64, Class: c64, Data: le, GOARCH: "ppc64le", Triplet: "powerpc64le-linux-gnu", Musl: "powerpc64le", Loader: "/lib64/ld64.so.2", Platform: "power8", HWCaps: ppc64HWCaps, Cache: CacheOnly, CacheFlag: 0x0500, UnsignedChar: true},
	{Machine: elf.EM_PPC64, Class: c64, Data: be, GOARCH: "ppc64", Triplet: "powerpc64-linux-gnu", Musl: "powerpc64", Loader: "/lib64/ld64.so.1", Platform: "power8", HWCaps: ppc64HWCaps, Cache: CacheOnly, CacheFlag: 0x0500, UnsignedChar: true},
	{Machine: elf.EM_PPC, Class: c32, GOARCH: "ppc", Triplet: "powerpc-linux-gnu", Musl: "powerpc", Loader: "/lib/ld.so.1", Platform: "ppc", Cache: CacheGeneric, UnsignedChar: true},
	{Machine: elf.EM_S390, Class: c64, GOARCH: "s390x", Triplet: "s390x-linux-gnu", Musl: "s390x", Loader: "/lib/ld64.so.1", Platform: "z13", HWCaps: s390HWCaps, Cache: CacheOnly, CacheFlag: 0x0400, UnsignedChar: true},
	{Machine: elf.EM_S390, Class: c32, GOARCH: "s390", Triplet: "s390-linux-gnu", Loader: "/lib/ld.so.1", Platform: "z900", HWCaps: s390HWCaps, Cache: CacheGeneric, UnsignedChar: true},

	// RISC-V kernels give no AT_PLATFORM; glibc has no single-float port.
	{Machine: elf.EM_RISCV, Class: c64, Mask: EFRISCVFloatABI, Flags: 0x4, GOARCH: "riscv64", Triplet: "riscv64-linux-gnu", Musl: "riscv64", Loader: "/lib/ld-linux-riscv64-lp64d.so.1", Cache: CacheOnly, CacheFlag: 0x1000, UnsignedChar: true},
	{Machine: elf.EM_RISCV, Class: c64, Mask: EFRISCVFloatABI, Flags: 0x0, GOARCH: "riscv64", Triplet: "riscv64-linux-gnu", Musl: "riscv64-sf", Loader: "/lib/ld-linux-riscv64-lp64.so.1", Cache: CacheOnly, CacheFlag: 0x0f00, UnsignedChar: true},
	{Machine: elf.EM_RISCV, Class: c64, Mask: EFRISCVFloatABI, Flags: 0x2, GOARCH: "riscv64", Triplet: "riscv64-linux-gnu", Musl: "riscv64-sp", UnsignedChar: true},
	{Machine: elf.EM_RISCV, Class: c32, Mask: EFRISCVFloatABI, Flags: 0x4, GOARCH: "riscv", Triplet: "riscv32-linux-gnu", Musl: "riscv32", Loader: "/lib/ld-linux-riscv32-ilp32d.so.1", Cache: CacheOnly, CacheFlag: 0x1000, UnsignedChar: true},
	{Machine: elf.EM_RISCV, Class: c32, Mask: EFRISCVFloatABI, Flags: 0x0, GOARCH: "riscv", Triplet: "riscv32-linux-gnu", Musl: "riscv32-sf", Loader: "/lib/ld-linux-riscv32-ilp32.so.1", Cache: CacheOnly, CacheFlag: 0x0f00, UnsignedChar: true},
	{Machine: elf.EM_RISCV, Class: c32, Mask: EFRISCVFloatABI, Flags: 0x2, GOARCH: "riscv", Triplet: "riscv32-linux-gnu", Musl: "riscv32-sp", UnsignedChar: true},
	{Machine: elf.EM_RISCV, Class: c64, GOARCH: "riscv64", Triplet: "riscv64-linux-gnu", UnsignedChar: true}, // quad float: no libc port
	{Machine: elf.EM_RISCV, Class: c32, GOARCH: "riscv", Triplet: "riscv32-linux-gnu", UnsignedChar: true},

	// MIPS: o32, n32 (EF_MIPS_ABI2) and n64, each with the legacy or the
	// 2008 NaN encoding, and the R6 ISA (always NaN 2008), which only
	// musl names apart. MIPS kernels give no AT_PLATFORM.
	{Machine: elf.EM_MIPS, Class: c32, Data: le, Mask: mipsR6, Flags: EFMIPSArch32R6, GOARCH: "mipsle", Triplet: "mipsel-linux-gnu", Musl: "mipsr6el", Loader: "/lib/ld-linux-mipsn8.so.1", Cache: CacheOnly, CacheFlag: 0x0c00},
	{Machine: elf.EM_MIPS, Class: c32, Data: be, Mask: mipsR6, Flags: EFMIPSArch32R6, GOARCH: "mips", Triplet: "mips-linux-gnu", Musl: "mipsr6", Loader: "/lib/ld-linux-mipsn8.so.1", Cache: CacheOnly, CacheFlag: 0x0c00},
	{Machine: elf.EM_MIPS, Class: c32, Data: le, Mask: mipsR6, Flags: EFMIPSArch64R6 | EFMIPSABI2, GOARCH: "mips64p32le", Triplet: "mips64el-linux-gnuabin32", Musl: "mipsn32r6el", Loader: "/lib32/ld-linux-mipsn8.so.1", Cache: CacheOnly, CacheFlag: 0x0d00},
	{Machine: elf.EM_MIPS, Class: c32, Data: be, Mask: mipsR6, Flags: EFMIPSArch64R6 | EFMIPSABI2, GOARCH: "mips64p32", Triplet: "mips64-linux-gnuabin32", Musl: "mipsn32r6", Loader: "/lib32/ld-linux-mipsn8.so.1", Cache: CacheOnly, CacheFlag: 0x0d00},
	{Machine: elf.EM_MIPS, Class: c64, Data: le, Mask: EFMIPSArch, Flags: EFMIPSArch64R6, GOARCH: "mips64le", Triplet: "mips64el-linux-gnuabi64", Musl: "mips64r6el", Loader: "/lib64/ld-linux-mipsn8.so.1", Cache: CacheOnly, CacheFlag: 0x0e00},
	{Machine: elf.EM_MIPS, Class: c64, Data: be, Mask: EFMIPSArch, Flags: EFMIPSArch64R6, GOARCH: "mips64", Triplet: "mips64-linux-gnuabi64", Musl: "mips64r6", Loader: "/lib64/ld-linux-mipsn8.so.1", Cache: CacheOnly, CacheFlag: 0x0e00},
	{Machine: elf.EM_MIPS, Class: c32, Data: le, Mask: mipsABI, Flags: EFMIPSNaN2008, GOARCH: "mipsle", Triplet: "mipsel-linux-gnu", Musl: "mipsel", Loader: "/lib/ld-linux-mipsn8.so.1", Cache: CacheOnly, CacheFlag: 0x0c00},
	{Machine: elf.EM_MIPS, Class: c32, Data: be, Mask: mipsABI, Flags: EFMIPSNaN2008, GOARCH: "mips", Triplet: "mips-linux-gnu", Musl: "mips", Loader: "/lib/ld-linux-mipsn8.so.1", Cache: CacheOnly, CacheFlag: 0x0c00},
	{Machine: elf.EM_MIPS, Class: c32, Data: le, Mask: mipsABI, GOARCH: "mipsle", Triplet: "mipsel-linux-gnu", Musl: "mipsel", Loader: "/lib/ld.so.1", Cache: CacheGeneric},
	{Machine: elf.EM_MIPS, Class: c32, Data: be, Mask: mipsABI, GOARCH: "mips", Triplet: "mips-linux-gnu", Musl: "mips", Loader: "/lib/ld.so.1", Cache: CacheGeneric},
	{Machine: elf.EM_MIPS, Class: c32, Data: le, Mask: mipsABI, Flags: EFMIPSABI2 | EFMIPSNaN2008, GOARCH: "mips64p32le", Triplet: "mips64el-linux-gnuabin32", Musl: "mipsn32el", Loader: "/lib32/ld-linux-mipsn8.so.1", Cache: CacheOnly, CacheFlag: 0x0d00},
	{Machine: elf.EM_MIPS, Class: c32, Data: be, Mask: mipsABI, Flags: EFMIPSABI2 | EFMIPSNaN2008, GOARCH: "mips64p32", Triplet: "mips64-linux-gnuabin32", Musl: "mipsn32", Loader: "/lib32/ld-linux-mipsn8.so.1", Cache: CacheOnly, CacheFlag: 0x0d00},
	{Machine: elf.EM_MIPS, Class: c32, Data: le, Mask: mipsABI, Flags: EFMIPSABI2, GOARCH: "mips64p32le", Triplet: "mips64el-linux-gnuabin32", Musl: "mipsn32el", Loader: "/lib32/ld.so.1", Cache: CacheOnly, CacheFlag: 0x0600},
	{Machine: elf.EM_MIPS, Class: c32, Data: be, Mask: mipsABI, Flags: EFMIPSABI2, GOARCH: "mips64p32", Triplet: "mips64-linux-gnuabin32", Musl: "mipsn32", Loader: "/lib32/ld.so.1", Cache: CacheOnly, CacheFlag: 0x0600},
	{Machine: elf.EM_MIPS, Class: c64, Data: le, Mask: EFMIPSNaN2008, Flags: EFMIPSNaN2008, GOARCH: "mips64le", Triplet: "mips64el-linux-gnuabi64", Musl: "mips64el", Loader: "/lib64/ld-linux-mipsn8.so.1", Cache: CacheOnly, CacheFlag: 0x0e00},
	{Machine: elf.EM_MIPS, Class: c64, Data: be, Mask: EFMIPSNaN2008, Flags: EFMIPSNaN2008, GOARCH: "mips64", Triplet: "mips64-linux-gnuabi64", Musl: "mips64", Loader: "/lib64/ld-linux-mipsn8.so.1", Cache: CacheOnly, CacheFlag: 0x0e00},
	{Machine: elf.EM_MIPS, Class: c64, Data: le, Mask: EFMIPSNaN2008, GOARCH: "mips64le", Triplet: "mips64el-linux-gnuabi64", Musl: "mips64el", Loader: "/lib64/ld.so.1", Cache: CacheOnly, CacheFlag: 0x0700},
	{Machine: elf.EM_MIPS, Class: c64, Data: be, Mask: EFMIPSNaN2008, GOARCH: "mips64", Triplet: "mips64-linux-gnuabi64", Musl: "mips64", Loader: "/lib64/ld.so.1", Cache: CacheOnly, CacheFlag: 0x0700},

	// LoongArch: EF_LARCH_OBJABI_V1 (0x40) is outside the mask, as
	// ldconfig ignores it. glibc has no single-float port.
	{Machine: elf.EM_LOONGARCH, Class: c64, Mask: EFLArchABIMask, Flags: 0x3, GOARCH: "loong64", Triplet: "loongarch64-linux-gnu", Musl: "loongarch64", Loader: "/lib64/ld-linux-loongarch-lp64d.so.1", Platform: "loongarch", Cache: CacheOnly, CacheFlag: 0x1200},
	{Machine: elf.EM_LOONGARCH, Class: c64, Mask: EFLArchABIMask, Flags: 0x1, GOARCH: "loong64", Triplet: "loongarch64-linux-gnu", Musl: "loongarch64-sf", Loader: "/lib64/ld-linux-loongarch-lp64s.so.1", Platform: "loongarch", Cache: CacheOnly, CacheFlag: 0x1100},
	{Machine: elf.EM_LOONGARCH, Class: c64, Mask: EFLArchABIMask, Flags: 0x2, GOARCH: "loong64", Triplet: "loongarch64-linux-gnu", Musl: "loongarch64-sp", Platform: "loongarch"},
	{Machine: elf.EM_LOONGARCH, Class: c64, GOARCH: "loong64", Triplet: "loongarch64-linux-gnu", Platform: "loongarch"}, // no ABI modifier: no libc port

	{Machine: elf.EM_SPARCV9, Class: c64, GOARCH: "sparc64", Triplet: "sparc64-linux-gnu", Loader: "/lib64/ld-linux.so.2", Platform: "sparc64", Cache: CacheOnly, CacheFlag: 0x0100},
	{Machine: elf.EM_SPARC, Class: c32, GOARCH: "sparc", Loader: "/lib/ld-linux.so.2", Cache: CacheGeneric},
	{Machine: elf.EM_IA_64, Class: c64, Triplet: "ia64-linux-gnu", Loader: "/lib/ld-linux-ia64.so.2", Cache: CacheOnly, CacheFlag: 0x0200},
	{Machine: elf.EM_ALPHA, Class: c64, Triplet: "alpha-linux-gnu", Loader: "/lib/ld-linux.so.2", Platform: "ev67", Cache: CacheGeneric},
	{Machine: elf.EM_PARISC, Class: c32, Triplet: "hppa-linux-gnu", Loader: "/lib/ld.so.1", Cache: CacheGeneric},
	{Machine: elf.EM_68K, Class: c32, Triplet: "m68k-linux-gnu", Musl: "m68k", Loader: "/lib/ld.so.1", Cache: CacheGeneric},
	{Machine: elf.EM_SH, Class: c32, Data: le, Mask: EFSHFDPIC, Flags: EFSHFDPIC, Triplet: "sh4-linux-gnu", Musl: "sh-fdpic", Cache: CacheGeneric},
	{Machine: elf.EM_SH, Class: c32, Data: be, Mask: EFSHFDPIC, Flags: EFSHFDPIC, Musl: "sheb-fdpic", Cache: CacheGeneric},
	{Machine: elf.EM_SH, Class: c32, Data: le, Triplet: "sh4-linux-gnu", Musl: "sh", Loader: "/lib/ld-linux.so.2", Cache: CacheGeneric},
	{Machine: elf.EM_SH, Class: c32, Data: be, Musl: "sheb", Loader: "/lib/ld-linux.so.2", Cache: CacheGeneric},
	{Machine: elf.EM_MICROBLAZE, Class: c32, Data: le, Musl: "microblazeel", Loader: "/lib/ld.so.1", Cache: CacheGeneric},
	{Machine: elf.EM_MICROBLAZE, Class: c32, Data: be, Musl: "microblaze", Loader: "/lib/ld.so.1", Cache: CacheGeneric},
	{Machine: elf.EM_OPENRISC, Class: c32, Musl: "or1k", Loader: "/lib/ld-linux-or1k.so.1", Cache: CacheGeneric},
	{Machine: elf.EM_ALTERA_NIOS2, Class: c32, Loader: "/lib/ld-linux-nios2.so.1", Cache: CacheGeneric},
	{Machine: elf.EM_ARC_COMPACT2, Class: c32, Cache: CacheGeneric, UnsignedChar: true},
	{Machine: EMCSKY, Class: c32, Cache: CacheGeneric, UnsignedChar: true},
}

// aliases are e_machine values that name the machine of a row: the old
// numbers some toolchains still write.
var aliases = map[elf.Machine]elf.Machine{
	elf.EM_MIPS_RS3_LE: elf.EM_MIPS,
	elf.EM_SPARC32PLUS: elf.EM_SPARC,
	elf.EM_ALPHA_STD:   elf.EM_ALPHA,
}

// Lookup returns the row of the ABI of a file with these ELF header
// values, and whether there is one. data 0 matches either byte order, for
// callers to which it makes no difference (the cache flags).
func Lookup(machine elf.Machine, class elf.Class, data elf.Data, eflags uint32) (ABI, bool) {
	if m, ok := aliases[machine]; ok {
		machine = m
	}
	for _, a := range abis {
		if a.Machine == machine && a.Class == class && (a.Data == 0 || data == 0 || a.Data == data) && eflags&a.Mask == a.Flags {
			a.HWCaps = slices.Clone(a.HWCaps) // the table's own stays as it is
			return a, true
		}
	}
	return ABI{}, false
}

// ABIs returns a copy of the whole table, in its order.
func ABIs() []ABI {
	all := slices.Clone(abis)
	for i := range all {
		all[i].HWCaps = slices.Clone(all[i].HWCaps)
	}
	return all
}
