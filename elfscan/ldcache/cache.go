package ldcache

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Format is the layout of a cache file.
type Format int

const (
	// FormatNew is "glibc-ld.so.cache1.1" alone: what ldconfig writes by
	// default since glibc 2.32 ("ldconfig -c new").
	FormatNew Format = iota + 1
	// FormatOld is "ld.so-1.7.0" alone, the libc5/glibc 2.0 format
	// ("ldconfig -c old"): no hwcaps, no extension.
	FormatOld
	// FormatCompat is an old-format table with a new-format cache inside
	// its string table ("ldconfig -c compat", the default from glibc 2.2
	// to 2.31). The loader reads only the new part, and so does Parse.
	FormatCompat
)

// String is the format's name.
func (f Format) String() string {
	switch f {
	case FormatNew:
		return "new"
	case FormatOld:
		return "old"
	case FormatCompat:
		return "compat"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// A Cache is a parsed ld.so.cache.
type Cache struct {
	Format Format
	// ByteOrder is the byte order of the file: the one its header flags
	// name, or, for a file that does not say (the old format, or a new
	// header with the flags left zero), the one its entry count fits in.
	ByteOrder binary.ByteOrder
	// Entries are the libraries, in file order: sorted by name in
	// descending _dl_cache_libcmp order, and for one name by descending
	// flags, glibc-hwcaps entries first.
	Entries []Entry
	// HWCaps are the names of the glibc-hwcaps subdirectories in the
	// extension, by index (sorted by ldconfig). An entry that cannot be
	// read is "" and matches no subdirectory.
	HWCaps []string
	// Generator is the text ldconfig recorded in the extension, such as
	// "ldconfig (Debian GLIBC 2.36-9+deb12u14) stable release version 2.36".
	Generator string

	hwcapsOK []bool // HWCaps[i] could be read
}

// An Entry is one library of the cache.
type Entry struct {
	Name string // the name the loader looks up: the library's soname
	Path string // the file the loader opens
	// Flags say which loader may use the entry (FlagELFLibc6|FlagX8664Lib64…).
	Flags Flags
	// OSVersion is the minimum kernel version field; ldconfig writes 0
	// and no loader reads it.
	OSVersion uint32
	// HWCap is the hwcap word. For a library in a glibc-hwcaps
	// subdirectory (IsHWCapsExtension) it holds HWCapExtension, the x86
	// ISA level in bits 32–41 and the index of the subdirectory name in
	// the low 32 bits. Any other non-zero value is a legacy hwcap mask
	// (libraries in tls/, haswell/… subdirectories, glibc before 2.37).
	HWCap uint64
	// HWCapsName is the glibc-hwcaps subdirectory name for an extension
	// entry ("x86-64-v3"), "" otherwise.
	HWCapsName string

	// named says that HWCapsName was read from the file, for the rare
	// name that is empty: "ldconfig -p" prints it as `hwcap: ""`.
	named bool
}

// HWCapExtension is the hwcap bit (DL_CACHE_HWCAP_EXTENSION) that marks an
// entry found in a glibc-hwcaps subdirectory.
const HWCapExtension = 1 << 62

// isaLevelMask is DL_CACHE_HWCAP_ISA_LEVEL_MASK: the ISA level bits of the
// upper half of the hwcap word.
const isaLevelMask = 1<<10 - 1

// IsHWCapsExtension reports whether the entry belongs to a glibc-hwcaps
// subdirectory: whether, ignoring the index and the ISA level, its hwcap
// word is exactly HWCapExtension (glibc's dl_cache_hwcap_extension).
func (e Entry) IsHWCapsExtension() bool {
	return (e.HWCap>>32)&^isaLevelMask == HWCapExtension>>32
}

// ISALevel is the x86 ISA level the library needs for an extension entry:
// 0 for the baseline, 1 for x86-64-v2, 2 for v3, 3 for v4 (the highest
// GNU_PROPERTY_X86_ISA_1_NEEDED bit). It is 0 for other entries.
func (e Entry) ISALevel() uint32 {
	if !e.IsHWCapsExtension() {
		return 0
	}
	return uint32(e.HWCap>>32) & isaLevelMask
}

// ABIString renders what "ldconfig -p" prints between the parentheses:
// `libc6,x86-64`, or `libc6,x86-64, hwcap: "x86-64-v3"` for a glibc-hwcaps
// entry, or `libc6, hwcap: 0x0000000000000008` for a legacy hwcap entry.
func (e Entry) ABIString() string {
	s := e.Flags.String()
	if e.HWCapsName != "" || e.named {
		return s + `, hwcap: "` + e.HWCapsName + `"`
	}
	if e.HWCap != 0 {
		return s + fmt.Sprintf(", hwcap: %#.16x", e.HWCap)
	}
	return s
}

// String renders the entry as a line of "ldconfig -p" without the leading
// tab: `libz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1`.
func (e Entry) String() string {
	return e.Name + " (" + e.ABIString() + ") => " + e.Path
}

// MatchesData reports whether a loader for ELF files of data encoding d
// uses the cache: glibc ignores a cache of the other byte order.
func (c *Cache) MatchesData(d elf.Data) bool {
	switch d {
	case elf.ELFDATA2LSB:
		return c.ByteOrder == binary.LittleEndian
	case elf.ELFDATA2MSB:
		return c.ByteOrder == binary.BigEndian
	}
	return false
}

// A FormatError reports a cache file that cannot be read.
type FormatError struct {
	File string // the file, when known (Load sets it; Parse does not)
	Off  int64  // the byte offset of the problem in the file
	Msg  string
}

// Error says what is wrong with the cache file, and where.
func (e *FormatError) Error() string {
	name := "ld.so.cache"
	if e.File != "" {
		name = e.File
	}
	return fmt.Sprintf("ldcache: %s: %s (at byte %#x)", name, e.Msg, e.Off)
}

// Load reads and parses the cache file name through fsys. A read error is
// returned as the FS gave it; a parse error is a *FormatError naming the
// file.
func Load(fsys FS, name string) (*Cache, error) {
	data, err := fsys.ReadFile(name)
	if err != nil {
		return nil, err
	}
	c, err := Parse(data)
	var fe *FormatError
	if errors.As(err, &fe) {
		fe.File = name
	}
	return c, err
}

// Layout constants of sysdeps/generic/dl-cache.h.
const (
	magicOld        = "ld.so-1.7.0"
	magicNew        = "glibc-ld.so.cache"
	versionNew      = "1.1"
	oldHeaderSize   = 16 // magic[11], pad, uint32 nlibs
	oldEntrySize    = 12 // int32 flags; uint32 key, value
	newHeaderSize   = 48
	newEntrySize    = 24 // old entry; uint32 osversion; uint64 hwcap
	extensionMagic  = 0xeaa42174
	extTagGenerator = 0
	extTagHWCaps    = 1
	extHeaderSize   = 8  // uint32 magic, count
	extSectionSize  = 16 // uint32 tag, flags, offset, size
)

// Values of the endianness bits of the new header's flags byte.
const (
	endianUnset   = 0
	endianInvalid = 1
	endianLittle  = 2
	endianBig     = 3
)

type parser struct {
	data []byte
	s    string // data as a string: every string of the cache is a substring of it
	bo   binary.ByteOrder
}

func (p *parser) errorf(off int64, format string, args ...any) error {
	return &FormatError{Off: off, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) u32(off int) uint32 { return p.bo.Uint32(p.data[off:]) }

// cstring returns the NUL-terminated string at off, which must be < len(data).
func (p *parser) cstring(off int) (string, bool) {
	n := strings.IndexByte(p.s[off:], 0)
	if n < 0 {
		return "", false
	}
	return p.s[off : off+n], true
}

// Parse parses the contents of an ld.so.cache file of any byte order, in the
// new, old or compat format. Every offset is checked against the file; a
// file the loader would not use, or that points outside itself, is a
// *FormatError.
func Parse(data []byte) (*Cache, error) {
	p := &parser{data: data, s: string(data)}
	switch {
	case strings.HasPrefix(p.s, magicNew+versionNew):
		return p.parseNew(0, FormatNew)
	case strings.HasPrefix(p.s, magicNew):
		return nil, p.errorf(int64(len(magicNew)), "unsupported cache version %q", p.s[len(magicNew):min(len(p.s), len(magicNew)+len(versionNew))])
	case strings.HasPrefix(p.s, magicOld):
		return p.parseOld()
	}
	return nil, p.errorf(0, "not an ld.so.cache: bad magic")
}

// fits reports whether n entries of size each fit in room bytes.
func fits(n uint32, size, room int) bool {
	return room >= 0 && uint64(n)*uint64(size) <= uint64(room)
}

func (p *parser) parseNew(base int, format Format) (*Cache, error) {
	d := p.data
	if len(d)-base < newHeaderSize {
		return nil, p.errorf(int64(base), "truncated header: %d bytes, need %d", len(d)-base, newHeaderSize)
	}
	room := len(d) - base - newHeaderSize
	switch d[base+28] & 3 {
	case endianLittle:
		p.bo = binary.LittleEndian
	case endianBig:
		p.bo = binary.BigEndian
	case endianInvalid:
		return nil, p.errorf(int64(base+28), "header flags %#x mark the cache invalid", d[base+28])
	case endianUnset:
		// Written by an ldconfig older than glibc 2.33: the loader
		// assumes its own order. Take the one the entry count fits in.
		p.bo = binary.LittleEndian
		if !fits(p.u32(base+20), newEntrySize, room) {
			p.bo = binary.BigEndian
		}
	}
	nlibs := p.u32(base + 20)
	if !fits(nlibs, newEntrySize, room) {
		return nil, p.errorf(int64(base+20), "%d entries of %d bytes do not fit in the %d bytes after the header", nlibs, newEntrySize, room)
	}
	c := &Cache{Format: format, ByteOrder: p.bo}
	if err := p.parseExtension(c, p.u32(base+32)); err != nil {
		return nil, err
	}
	c.Entries = make([]Entry, nlibs)
	for i := range c.Entries {
		off := base + newHeaderSize + i*newEntrySize
		e := &c.Entries[i]
		e.Flags = Flags(int32(p.u32(off)))
		e.OSVersion = p.u32(off + 12)
		e.HWCap = p.bo.Uint64(d[off+16:])
		var err error
		if e.Name, e.Path, err = p.entryStrings(i, off, base); err != nil {
			return nil, err
		}
		if e.IsHWCapsExtension() {
			if j := uint32(e.HWCap); int64(j) < int64(len(c.HWCaps)) && c.hwcapsOK[j] {
				e.HWCapsName, e.named = c.HWCaps[j], true
			}
		}
	}
	return c, nil
}

// entryStrings reads the name and path of entry i at off, whose string
// offsets count from base.
func (p *parser) entryStrings(i, off, base int) (name, path string, err error) {
	var ss [2]string
	for k, what := range [2]string{"name", "path"} {
		rel := p.u32(off + 4 + 4*k)
		if int64(rel) >= int64(len(p.data)-base) {
			return "", "", p.errorf(int64(off+4+4*k), "entry %d: %s offset %#x is outside the string table", i, what, rel)
		}
		s, ok := p.cstring(base + int(rel))
		if !ok {
			return "", "", p.errorf(int64(base)+int64(rel), "entry %d: %s is not NUL-terminated", i, what)
		}
		ss[k] = s
	}
	return ss[0], ss[1], nil
}

// parseExtension reads the extension directory at off (from the start of
// the file, as the loader reads it) into c. Unknown sections are skipped.
// A glibc-hwcaps section that is empty or misaligned is dropped, as glibc
// does; a directory that does not fit in the file is an error, as it is for
// "ldconfig -p".
func (p *parser) parseExtension(c *Cache, off uint32) error {
	if off == 0 {
		return nil
	}
	d := p.data
	o := int64(off)
	if off%4 != 0 {
		return p.errorf(o, "extension directory offset %#x is not a multiple of 4", off)
	}
	if o+extHeaderSize > int64(len(d)) {
		return p.errorf(o, "extension directory beyond the end of the file")
	}
	if m := p.u32(int(o)); m != extensionMagic {
		return p.errorf(o, "bad extension magic %#x", m)
	}
	count := p.u32(int(o) + 4)
	if !fits(count, extSectionSize, len(d)-int(o)-extHeaderSize) {
		return p.errorf(o+4, "%d extension sections do not fit in the file", count)
	}
	type section struct{ off, size uint32 }
	var hw *section
	for i := range int(count) {
		s := int(o) + extHeaderSize + i*extSectionSize
		tag, sec := p.u32(s), section{p.u32(s + 8), p.u32(s + 12)}
		if int64(sec.off)+int64(sec.size) > int64(len(d)) {
			return p.errorf(int64(s+8), "extension section %d (%d bytes at %#x) beyond the end of the file", i, sec.size, sec.off)
		}
		switch tag {
		case extTagGenerator:
			c.Generator = p.s[sec.off : sec.off+sec.size]
		case extTagHWCaps:
			hw = &sec
		}
	}
	if hw == nil || hw.size == 0 || hw.off%4 != 0 || hw.size%4 != 0 {
		return nil
	}
	n := hw.size / 4
	c.HWCaps = make([]string, n)
	c.hwcapsOK = make([]bool, n)
	for i := range c.HWCaps {
		// The indices count from the start of the file, in the loader
		// and in "ldconfig -p" alike.
		if j := p.u32(int(hw.off) + 4*i); int64(j) < int64(len(d)) {
			c.HWCaps[i], c.hwcapsOK[i] = p.cstring(int(j))
		}
	}
	return nil
}

func (p *parser) parseOld() (*Cache, error) {
	d := p.data
	if len(d) < oldHeaderSize {
		return nil, p.errorf(0, "truncated header: %d bytes, need %d", len(d), oldHeaderSize)
	}
	room := len(d) - oldHeaderSize
	// The old header has no byte order mark: try both, and prefer the
	// one under which a new-format cache follows the old table.
	var orders []binary.ByteOrder
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		if fits(bo.Uint32(d[12:]), oldEntrySize, room) {
			orders = append(orders, bo)
		}
	}
	if len(orders) == 0 {
		return nil, p.errorf(12, "%d entries of %d bytes do not fit in the %d bytes after the header", binary.LittleEndian.Uint32(d[12:]), oldEntrySize, room)
	}
	for _, bo := range orders {
		end := oldHeaderSize + int(bo.Uint32(d[12:]))*oldEntrySize
		// ldconfig aligns the new header to 8 bytes (its alignment on
		// 64-bit hosts) and pads the old table to an even count, so
		// that 32-bit loaders, which align to 4, find it too.
		for _, align := range []int{8, 4} {
			nb := (end + align - 1) &^ (align - 1)
			if nb+newHeaderSize <= len(d) && strings.HasPrefix(p.s[nb:], magicNew+versionNew) {
				return p.parseNew(nb, FormatCompat)
			}
		}
	}
	p.bo = orders[0]
	nlibs := p.u32(12)
	base := oldHeaderSize + int(nlibs)*oldEntrySize // the string table
	c := &Cache{Format: FormatOld, ByteOrder: p.bo, Entries: make([]Entry, nlibs)}
	for i := range c.Entries {
		off := oldHeaderSize + i*oldEntrySize
		e := &c.Entries[i]
		e.Flags = Flags(int32(p.u32(off)))
		var err error
		if e.Name, e.Path, err = p.entryStrings(i, off, base); err != nil {
			return nil, err
		}
	}
	return c, nil
}
