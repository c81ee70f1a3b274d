package arch

import (
	"debug/elf"
	"reflect"
	"testing"
)

// TestEveryRowReachable: no row is hidden by an earlier, wider one (but
// a machine's last row, for any e_flags, is the fall-back of the others).
func TestEveryRowReachable(t *testing.T) {
	seen := map[[3]int]bool{}
	for i, a := range ABIs() {
		key := [3]int{int(a.Machine), int(a.Class), int(a.Data)}
		fallBack := a.Mask == 0 && seen[key]
		seen[key] = true
		if fallBack {
			continue
		}
		got, ok := Lookup(a.Machine, a.Class, a.Data, a.Flags)
		if !ok || !reflect.DeepEqual(got, a) {
			t.Errorf("row %d (%v %v %v %#x, %s): Lookup finds %+v", i, a.Machine, a.Class, a.Data, a.Flags, a.Triplet, got)
		}
		if a.Cache != CacheOnly && a.Cache != CacheARM && a.CacheFlag != 0 {
			t.Errorf("row %d: a CacheFlag without a cache kind that uses it", i)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		m             elf.Machine
		c             elf.Class
		d             elf.Data
		eflags        uint32
		triplet, musl string
	}{
		{elf.EM_X86_64, elf.ELFCLASS64, elf.ELFDATA2LSB, 0, "x86_64-linux-gnu", "x86_64"},
		{elf.EM_ARM, elf.ELFCLASS32, elf.ELFDATA2LSB, EFARMEABIVer5 | EFARMABIFloatHard, "arm-linux-gnueabihf", "armhf"},
		{elf.EM_MIPS_RS3_LE, elf.ELFCLASS32, elf.ELFDATA2LSB, 0, "mipsel-linux-gnu", "mipsel"}, // an alias
		{elf.EM_MIPS, elf.ELFCLASS64, elf.ELFDATA2LSB, 0x80000407, "mips64el-linux-gnuabi64", "mips64el"},
		{elf.EM_LOONGARCH, elf.ELFCLASS64, elf.ELFDATA2LSB, 0, "loongarch64-linux-gnu", ""}, // no ABI modifier
	} {
		a, _ := Lookup(tc.m, tc.c, tc.d, tc.eflags)
		if a.Triplet != tc.triplet || a.Musl != tc.musl {
			t.Errorf("Lookup(%v, %v, %v, %#x) = %q, %q; want %q, %q", tc.m, tc.c, tc.d, tc.eflags, a.Triplet, a.Musl, tc.triplet, tc.musl)
		}
	}
	if _, ok := Lookup(elf.EM_VAX, elf.ELFCLASS32, elf.ELFDATA2LSB, 0); ok {
		t.Error("a row for the VAX")
	}
}
