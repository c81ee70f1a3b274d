package ldcache

// ELF e_flags bits that select an ABI, and so a loader, a cache flag, a
// musl arch and a multiarch triplet: defined once here for ldcache,
// elfscan and the oracle.
const (
	EFARMABIFloatSoft = 0x200 // EF_ARM_ABI_FLOAT_SOFT
	EFARMABIFloatHard = 0x400 // EF_ARM_ABI_FLOAT_HARD (EF_ARM_VFP_FLOAT): armhf
	EFMIPSABI2        = 0x20  // EF_MIPS_ABI2: n32
	EFMIPSNaN2008     = 0x400 // EF_MIPS_NAN2008
)
