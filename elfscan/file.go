package elfscan

import (
	"debug/elf"
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

	// Imports are the undefined dynamic symbols (names without version),
	// sorted: the evidence for rules such as "imports iconv_open".
	Imports []string `json:"-"`
	// SectionHeaders is false when the file has none (sstrip, some
	// packers): everything above was read through PT_DYNAMIC instead.
	SectionHeaders bool `json:"-"`
}

// DT_FLAGS_1 bits the loader acts on.
const (
	DF1NoDefLib = 0x800     // DF_1_NODEFLIB: no cache, no default directories
	DF1PIE      = 0x8000000 // DF_1_PIE
)

// NoDefLib reports whether DF_1_NODEFLIB is set.
func (f *File) NoDefLib() bool { return f.Flags1&DF1NoDefLib != 0 }

// Imports reports whether the file imports the dynamic symbol name.
func (f *File) ImportsSymbol(name string) bool {
	lo, hi := 0, len(f.Imports)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if f.Imports[m] < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(f.Imports) && f.Imports[lo] == name
}

// Compatible reports whether the loader that runs f would accept o as a
// library: same class, data encoding and machine (and the ABI bits of
// e_flags where the architecture has them). The loader skips a file that
// fails this and searches on.
func (f *File) Compatible(o *File) bool {
	return f.Class == o.Class && f.Data == o.Data && f.Machine == o.Machine
}
