package elfscan

import (
	"debug/elf"
	"fmt"

	"github.com/fromscratch/fromscratch/internal/arch"
)

// Kind classifies an ELF file the way the loader and the kernel treat it.
type Kind int

const (
	KindOther     Kind = iota // relocatable object, core file, or another type
	KindStatic                // ET_EXEC without PT_INTERP: runs alone
	KindStaticPIE             // ET_DYN without PT_INTERP, DF_1_PIE: runs alone
	KindDynamic               // an executable with PT_INTERP (ET_EXEC or PIE)
	KindShared                // a shared library (ET_DYN, not a static PIE)
)

// String is the kind's name as deps prints it.
func (k Kind) String() string {
	switch k {
	case KindStatic:
		return "static"
	case KindStaticPIE:
		return "static-pie"
	case KindDynamic:
		return "dynamic"
	case KindShared:
		return "shared"
	}
	return "other"
}

// MarshalText makes a Kind read as its name in JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// A File is what the loader needs to know about one ELF file. It is read by
// Open/Scan without executing anything; every field comes from the ELF
// header, the program headers and the dynamic section.
type File struct {
	Path    string      `json:"path"` // as given to Open (a path inside the Root)
	Class   elf.Class   `json:"-"`
	Data    elf.Data    `json:"-"`
	Machine elf.Machine `json:"-"`
	OSABI   elf.OSABI   `json:"-"`
	Type    elf.Type    `json:"-"`
	EFlags  uint32      `json:"-"` // e_flags: ABI variants (ARM float ABI, MIPS, RISC-V)
	Kind    Kind        `json:"kind"`

	Interp  string   `json:"interp,omitempty"`  // PT_INTERP
	Needed  []string `json:"needed,omitempty"`  // DT_NEEDED, in order
	Soname  string   `json:"soname,omitempty"`  // DT_SONAME
	RPath   []string `json:"rpath,omitempty"`   // DT_RPATH split on ':' (tokens not expanded)
	RunPath []string `json:"runpath,omitempty"` // DT_RUNPATH split on ':'
	// HasRPath and HasRunPath tell a present but empty tag from an absent
	// one: any DT_RUNPATH, even empty, disables the object's DT_RPATH.
	HasRPath   bool        `json:"-"`
	HasRunPath bool        `json:"-"`
	Flags      elf.DynFlag `json:"-"` // DT_FLAGS
	Flags1     uint64      `json:"-"` // DT_FLAGS_1 (DF_1_NODEFLIB, DF_1_PIE…)

	// SectionHeaders is false when the file has none (sstrip, some
	// packers): everything above was read through PT_DYNAMIC instead.
	SectionHeaders bool `json:"-"`

	// armArch is Tag_CPU_arch from .ARM.attributes (0: unknown), for
	// Platform's variant.
	armArch uint8
	// phdrsRefused says why the kernel would not map the file as a
	// program or an interpreter (its program header table), or "".
	phdrsRefused string
	// syms are the dynamic symbols (Imports, Exports), read lazily.
	syms *symbols
}

// DT_FLAGS_1 bits the loader acts on.
const (
	DF1NoDefLib = 0x800     // DF_1_NODEFLIB: no cache, no default directories
	DF1PIE      = 0x8000000 // DF_1_PIE
)

// NoDefLib reports whether DF_1_NODEFLIB is set.
func (f *File) NoDefLib() bool { return f.Flags1&DF1NoDefLib != 0 }

// e_flags bits that decide whether a loader accepts a library.
const (
	armEABIMask   = arch.EFARMEABIMask
	armEABIVer5   = arch.EFARMEABIVer5
	armFloatSoft  = arch.EFARMABIFloatSoft
	armFloatHard  = arch.EFARMABIFloatHard
	mipsABI2      = arch.EFMIPSABI2
	mipsNaN2008   = arch.EFMIPSNaN2008
	mipsFP64      = arch.EFMIPSFP64
	riscvFloatABI = arch.EFRISCVFloatABI
	ppc64ABI      = arch.EFPPC64ABI
	armFloatFlags = armFloatSoft | armFloatHard
)

// Compatible reports whether the loader that runs f would accept o as a
// library (see Mismatch).
func (f *File) Compatible(o *File) bool {
	why, _ := f.Mismatch(o)
	return why == ""
}

// Mismatch says why the loader that runs the executable f would not load
// o, or "" if it would, following glibc's open_verify and its
// elf_machine_matches_host. The loader's own ABI is taken from f.
//
// When fatal is false glibc skips o silently and searches on: another ELF
// class, another machine, or e_flags of another ABI variant of the
// machine — MIPS o32 against n32 (EF_MIPS_ABI2, for 32-bit loaders),
// legacy against 2008 NaN (EF_MIPS_NAN2008), the unsupported O32 FP64;
// the RISC-V float ABI (EF_RISCV_FLOAT_ABI); the ppc64 ELFv1/ELFv2 ABI
// when o states one (EF_PPC64_ABI); also another data encoding, as a
// library of the other byte order has, to the loader, another machine.
// When fatal is true glibc stops with an error instead: a header of the
// other byte order whose e_machine bytes still read as the loader's
// machine ("ELF file data encoding not little-endian"), or an ARM EABI5
// file of the other float ABI
// (EF_ARM_ABI_FLOAT_HARD/SOFT, VALID_FLOAT_ABI). MIPS's PT_MIPS_ABIFLAGS
// floating-point modes are not checked.
func (f *File) Mismatch(o *File) (why string, fatal bool) {
	// The loader reads o's e_machine in its own byte order, and (Debian's
	// glibc 2.36, tested) checks it before the data encoding: a library
	// of the other byte order is skipped unless its e_machine bytes,
	// read the wrong way round, happen to name the loader's machine.
	machine := o.Machine
	if o.Data != f.Data {
		machine = elf.Machine(uint16(machine)>>8 | uint16(machine)<<8)
	}
	switch {
	case o.Class != f.Class:
		return fmt.Sprintf("ELF class %v, want %v", o.Class, f.Class), false
	case machine != f.Machine && o.Data != f.Data:
		return fmt.Sprintf("%v of the other byte order, want %v", o.Machine, f.Machine), false
	case machine != f.Machine:
		return fmt.Sprintf("machine %v, want %v", o.Machine, f.Machine), false
	case o.Data != f.Data:
		return fmt.Sprintf("data encoding %v, want %v", o.Data, f.Data), true
	}
	switch f.Machine {
	case elf.EM_ARM:
		if o.EFlags&armEABIMask == armEABIVer5 {
			hard := f.EFlags&armFloatFlags == armFloatHard
			soft := f.EFlags&armFloatFlags == armFloatSoft
			if hard && o.EFlags&armFloatSoft != 0 {
				return "soft-float ARM EABI, want hard-float", true
			}
			if soft && o.EFlags&armFloatHard != 0 {
				return "hard-float ARM EABI, want soft-float", true
			}
		}
	case elf.EM_MIPS:
		if f.Class == elf.ELFCLASS32 && o.EFlags&mipsABI2 != f.EFlags&mipsABI2 {
			return "another MIPS ABI (o32 and n32 do not mix)", false
		}
		if o.EFlags&mipsNaN2008 != f.EFlags&mipsNaN2008 {
			return "another MIPS NaN encoding (legacy and 2008 do not mix)", false
		}
		if o.EFlags&mipsFP64 != 0 {
			return "the MIPS O32 FP64 ABI, which Linux does not support", false
		}
	case elf.EM_RISCV:
		if o.EFlags&riscvFloatABI != f.EFlags&riscvFloatABI {
			return "another RISC-V float ABI", false
		}
	case elf.EM_PPC64:
		if abi := o.EFlags & ppc64ABI; abi != 0 && f.EFlags&ppc64ABI != 0 && abi != f.EFlags&ppc64ABI {
			return fmt.Sprintf("ppc64 ELFv%d ABI, want ELFv%d", abi, f.EFlags&ppc64ABI), false
		}
	}
	return "", false
}

// Platform returns the OCI platform the file runs on: os is "linux" (or
// the BSD or Solaris named by EI_OSABI), arch a GOARCH name (amd64, arm64,
// arm, 386, ppc64le, s390x, riscv64, mips64le, loong64…; "" if unknown)
// and variant the ARM version ("v8" for arm64; for arm v5/v6/v7/v8 from the
// .ARM.attributes section, or without it "v7" for a hard-float file and ""
// for a soft-float one).
func (f *File) Platform() (os, goarch, variant string) {
	os = "linux"
	switch f.OSABI {
	case elf.ELFOSABI_FREEBSD:
		os = "freebsd"
	case elf.ELFOSABI_NETBSD:
		os = "netbsd"
	case elf.ELFOSABI_OPENBSD:
		os = "openbsd"
	case elf.ELFOSABI_SOLARIS:
		os = "solaris"
	}
	abi, _ := arch.Lookup(f.Machine, f.Class, f.Data, f.EFlags)
	goarch, variant = abi.GOARCH, abi.Variant
	if f.Machine == elf.EM_ARM {
		variant = armVariant(f.armArch, f.EFlags)
	}
	return os, goarch, variant
}

// armVariant maps Tag_CPU_arch (ARM IHI 0045) to an OCI variant.
func armVariant(cpuArch uint8, flags uint32) string {
	switch {
	case cpuArch >= 1 && cpuArch <= 5: // v4 … v5TEJ
		return "v5"
	case cpuArch >= 6 && cpuArch <= 9, cpuArch == 11, cpuArch == 12: // v6, v6KZ, v6T2, v6K, v6-M, v6S-M
		return "v6"
	case cpuArch == 10, cpuArch == 13: // v7, v7E-M
		return "v7"
	case cpuArch >= 14: // v8-A and later
		return "v8"
	}
	if flags&armFloatFlags == armFloatHard {
		return "v7" // armhf's baseline in Debian and Ubuntu
	}
	return ""
}
