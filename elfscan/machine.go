package elfscan

import (
	"path"
	"strings"

	"github.com/fromscratch/fromscratch/internal/arch"
)

// What the loader knows about the machine it was built for: these values
// are compiled into ld.so (the multiarch triplet of the default directories
// and of $LIB) or come from the kernel (AT_PLATFORM for $PLATFORM), so an
// emulation derives them from the program's ELF header, through the one
// table of internal/arch.

// abi returns the row of the architecture table for f's ELF header (the
// zero ABI if there is none).
func abi(f *File) arch.ABI {
	a, _ := arch.Lookup(f.Machine, f.Class, f.Data, f.EFlags)
	return a
}

// Triplet returns Debian's multiarch triplet for programs of f's class,
// byte order, machine and ABI ("x86_64-linux-gnu", "aarch64-linux-gnu",
// "arm-linux-gnueabihf"…), or "" if there is none.
func Triplet(f *File) string { return abi(f).Triplet }

// ATPlatform returns the AT_PLATFORM string the kernel gives programs of f's
// machine, which glibc substitutes for $PLATFORM ("x86_64", "aarch64"…;
// "" for RISC-V and MIPS, whose kernels give none). glibc on x86 may
// replace it with a CPU name ("haswell", "xeon_phi" on Intel CPUs that
// have the features): select that with WithATPlatform.
func ATPlatform(f *File) string { return abi(f).Platform }

// hwcapsLevels lists the glibc-hwcaps subdirectory names of f's machine,
// best first, as glibc searches them.
func hwcapsLevels(f *File) []string { return abi(f).HWCaps }

// isMuslInterp reports whether interp names musl's dynamic loader.
func isMuslInterp(interp string) bool {
	return strings.HasPrefix(path.Base(interp), "ld-musl-")
}
