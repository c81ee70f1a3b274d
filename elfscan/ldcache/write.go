package ldcache

import (
	"encoding/binary"
	"slices"
	"strings"
)

// MarshalBinary writes c as ldconfig does by default since glibc 2.32: the
// new format alone, in c.ByteOrder (little-endian when nil), its entries
// sorted as ldconfig sorts them (by name in descending _dl_cache_libcmp
// order, then by descending flags, glibc-hwcaps entries first), with the
// extension holding c.Generator and the glibc-hwcaps subdirectory names of
// the entries that have one. c.Format and c.HWCaps are not used: an entry's
// HWCapsName says where it is. Parse reads the result back.
func (c *Cache) MarshalBinary() ([]byte, error) {
	bo := c.ByteOrder
	if bo == nil {
		bo = binary.LittleEndian
	}
	u32 := func(b []byte, v uint32) []byte {
		b = append(b, 0, 0, 0, 0)
		bo.PutUint32(b[len(b)-4:], v)
		return b
	}
	ents := slices.Clone(c.Entries)
	var names []string // glibc-hwcaps subdirectories
	for _, e := range ents {
		if e.HWCapsName != "" && !slices.Contains(names, e.HWCapsName) {
			names = append(names, e.HWCapsName)
		}
	}
	slices.Sort(names)
	slices.SortStableFunc(ents, func(a, b Entry) int {
		if r := libcmp(b.Name, a.Name, false); r != 0 {
			return int(r)
		}
		switch {
		case a.Flags != b.Flags:
			return int(b.Flags) - int(a.Flags)
		case (a.HWCapsName != "") != (b.HWCapsName != ""):
			if a.HWCapsName != "" {
				return -1
			}
			return 1
		}
		return strings.Compare(a.HWCapsName, b.HWCapsName)
	})

	// The string table follows the entries; offsets count from the start
	// of the file.
	strs := newHeaderSize + len(ents)*newEntrySize
	var table []byte
	at := map[string]uint32{}
	str := func(s string) uint32 {
		if off, ok := at[s]; ok {
			return off
		}
		off := uint32(strs + len(table))
		table = append(append(table, s...), 0)
		at[s] = off
		return off
	}
	out := make([]byte, newHeaderSize, strs)
	copy(out, magicNew+versionNew)
	bo.PutUint32(out[20:], uint32(len(ents)))
	out[28] = endianLittle
	if bo == binary.BigEndian {
		out[28] = endianBig
	}
	for _, e := range ents {
		var b [newEntrySize]byte
		bo.PutUint32(b[0:], uint32(e.Flags))
		bo.PutUint32(b[4:], str(e.Name))
		bo.PutUint32(b[8:], str(e.Path))
		bo.PutUint32(b[12:], e.OSVersion)
		hwcap := e.HWCap
		if e.HWCapsName != "" {
			hwcap = HWCapExtension | uint64(e.ISALevel())<<32 | uint64(slices.Index(names, e.HWCapsName))
		}
		bo.PutUint64(b[16:], hwcap)
		out = append(out, b[:]...)
	}
	hwOffs := make([]uint32, len(names))
	for i, n := range names {
		hwOffs[i] = str(n)
	}
	genOff := uint32(strs + len(table))
	table = append(table, c.Generator...)
	out = append(out, table...)
	bo.PutUint32(out[24:], uint32(len(table)))

	// The extension directory, then the array of subdirectory names.
	for len(out)%4 != 0 {
		out = append(out, 0)
	}
	ext := len(out)
	bo.PutUint32(out[32:], uint32(ext))
	type section struct{ tag, off, size uint32 }
	var secs []section
	if c.Generator != "" {
		secs = append(secs, section{extTagGenerator, genOff, uint32(len(c.Generator))})
	}
	arr := uint32(ext + extHeaderSize + (len(secs)+1)*extSectionSize)
	if len(names) > 0 {
		secs = append(secs, section{extTagHWCaps, arr, uint32(4 * len(names))})
	}
	out = u32(out, extensionMagic)
	out = u32(out, uint32(len(secs)))
	for _, s := range secs {
		out = u32(out, s.tag)
		out = u32(out, 0)
		out = u32(out, s.off)
		out = u32(out, s.size)
	}
	if len(names) > 0 {
		for len(out) < int(arr) {
			out = append(out, 0)
		}
		for _, o := range hwOffs {
			out = u32(out, o)
		}
	}
	return out, nil
}
