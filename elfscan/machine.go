package elfscan

import (
	"debug/elf"
	"path"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan/ldcache"
)

// What the loader knows about the machine it was built for: these values
// are compiled into ld.so (the multiarch triplet of the default directories
// and of $LIB) or come from the kernel (AT_PLATFORM for $PLATFORM), so an
// emulation derives them from the program's ELF header.

// Triplet returns Debian's multiarch triplet for programs of f's class,
// byte order and machine ("x86_64-linux-gnu", "aarch64-linux-gnu"…), or ""
// if there is none.
func Triplet(f *File) string {
	is64 := f.Class == elf.ELFCLASS64
	le := f.Data == elf.ELFDATA2LSB
	switch f.Machine {
	case elf.EM_X86_64:
		if !is64 {
			return "x86_64-linux-gnux32"
		}
		return "x86_64-linux-gnu"
	case elf.EM_386:
		return "i386-linux-gnu"
	case elf.EM_AARCH64:
		if !le {
			return "aarch64_be-linux-gnu"
		}
		return "aarch64-linux-gnu"
	case elf.EM_ARM:
		if f.EFlags&ldcache.EFARMABIFloatHard != 0 {
			return "arm-linux-gnueabihf"
		}
		return "arm-linux-gnueabi"
	case elf.EM_RISCV:
		if is64 {
			return "riscv64-linux-gnu"
		}
		return "riscv32-linux-gnu"
	case elf.EM_PPC64:
		if le {
			return "powerpc64le-linux-gnu"
		}
		return "powerpc64-linux-gnu"
	case elf.EM_PPC:
		return "powerpc-linux-gnu"
	case elf.EM_S390:
		if is64 {
			return "s390x-linux-gnu"
		}
		return "s390-linux-gnu"
	case elf.EM_MIPS:
		switch {
		case is64 && le:
			return "mips64el-linux-gnuabi64"
		case is64:
			return "mips64-linux-gnuabi64"
		case le:
			return "mipsel-linux-gnu"
		}
		return "mips-linux-gnu"
	case elf.EM_LOONGARCH:
		return "loongarch64-linux-gnu"
	case elf.EM_SPARCV9:
		return "sparc64-linux-gnu"
	case elf.EM_ALPHA:
		return "alpha-linux-gnu"
	case elf.EM_PARISC:
		return "hppa-linux-gnu"
	case elf.EM_68K:
		return "m68k-linux-gnu"
	case elf.EM_SH:
		return "sh4-linux-gnu"
	case elf.EM_IA_64:
		return "ia64-linux-gnu"
	}
	return ""
}

// ATPlatform returns the AT_PLATFORM string the kernel gives programs of f's
// machine, which glibc substitutes for $PLATFORM ("x86_64", "aarch64"…).
// glibc on x86 may replace it with a CPU name ("haswell", "xeon_phi" on
// Intel CPUs that have the features): select that with WithATPlatform.
func ATPlatform(f *File) string {
	is64 := f.Class == elf.ELFCLASS64
	le := f.Data == elf.ELFDATA2LSB
	switch f.Machine {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_386:
		return "i686"
	case elf.EM_AARCH64:
		if !le {
			return "aarch64_be"
		}
		return "aarch64"
	case elf.EM_ARM:
		// The kernel reports the CPU architecture: v7 on nearly every
		// armhf system.
		if le {
			return "v7l"
		}
		return "v7b"
	case elf.EM_RISCV:
		return "" // RISC-V kernels give no AT_PLATFORM
	case elf.EM_PPC64:
		return "power8" // the oldest CPU ppc64 distributions support
	case elf.EM_PPC:
		return "ppc"
	case elf.EM_S390:
		if is64 {
			return "z13"
		}
		return "z900"
	case elf.EM_MIPS:
		return "" // no AT_PLATFORM
	case elf.EM_LOONGARCH:
		return "loongarch"
	case elf.EM_SPARCV9:
		return "sparc64"
	case elf.EM_ALPHA:
		return "ev67"
	}
	return ""
}

// hwcapsLevels lists the glibc-hwcaps subdirectory names of f's machine,
// best first, as glibc searches them.
func hwcapsLevels(f *File) []string {
	switch f.Machine {
	case elf.EM_X86_64:
		if f.Class == elf.ELFCLASS64 {
			return []string{"x86-64-v4", "x86-64-v3", "x86-64-v2"}
		}
	case elf.EM_PPC64:
		return []string{"power10", "power9"}
	case elf.EM_S390:
		return []string{"z17", "z16", "z15", "z14", "z13"}
	}
	return nil
}

// isMuslInterp reports whether interp names musl's dynamic loader.
func isMuslInterp(interp string) bool {
	return strings.HasPrefix(path.Base(interp), "ld-musl-")
}
