package ldcache

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A cache MarshalBinary writes reads back the same, for Parse and for the
// real ldconfig ("ldconfig -p"), entry for entry, and Lookup answers from
// it as from the cache ldconfig wrote: glibc-hwcaps names and order kept.
func TestMarshalBinaryAsLdconfig(t *testing.T) {
	ldconfig := tool(t, "ldconfig")
	r := newTestRoot(t, false)
	orig := r.ldconfig(t, "new")
	// Entries in another order must come out sorted as ldconfig sorts.
	shuffled := *orig
	shuffled.Entries = slices.Clone(orig.Entries)
	slices.Reverse(shuffled.Entries)
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		shuffled.ByteOrder = bo
		data, err := shuffled.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(data)
		if err != nil {
			t.Fatalf("%v: Parse: %v", bo, err)
		}
		if c.Format != FormatNew || c.ByteOrder != bo || c.Generator != orig.Generator {
			t.Errorf("%v: read back as %v %v %q", bo, c.Format, c.ByteOrder, c.Generator)
		}
		if !slices.EqualFunc(c.Entries, orig.Entries, func(a, b Entry) bool { return a.String() == b.String() && a.HWCap == b.HWCap }) {
			t.Errorf("%v: entries\n%v\nwant\n%v", bo, c.Entries, orig.Entries)
		}
		if bo != binary.LittleEndian {
			continue // ldconfig reads its own byte order only
		}
		file := filepath.Join(t.TempDir(), "ld.so.cache")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		checkPrinted(t, c, run(t, ldconfig, "-C", file, "-p"))
		for _, lc := range lookupCases[FormatNew] {
			lc.check(t, c)
		}
	}
}
