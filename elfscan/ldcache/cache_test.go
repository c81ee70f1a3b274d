package ldcache

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fromscratch/fromscratch/internal/arch"
)

// A rec is one entry for the test cache writers.
type rec struct {
	name, path string
	flags      Flags
	hwcap      uint64
}

func named(i uint32) uint64 { return HWCapExtension | uint64(i) }

// buf builds a file in one byte order.
type buf struct {
	b  []byte
	bo binary.ByteOrder
}

func (w *buf) u32(v uint32)            { w.b = w.bo.(binary.AppendByteOrder).AppendUint32(w.b, v) }
func (w *buf) putU32(at int, v uint32) { w.bo.PutUint32(w.b[at:], v) }
func (w *buf) align(n int) {
	for len(w.b)%n != 0 {
		w.b = append(w.b, 0)
	}
}

// cstr appends s and its NUL and returns its offset from base.
func (w *buf) cstr(s string, base int) uint32 {
	off := len(w.b) - base
	w.b = append(append(w.b, s...), 0)
	return uint32(off)
}

// newCache lays out a new-format cache the way ldconfig does, starting at
// len(w.b): header, entries, strings (offsets from the header), the
// extension directory at the next multiple of 4 (offset from the start of
// the file), the glibc-hwcaps name offsets (from the header, as ldconfig
// writes them) and the generator text.
func (w *buf) newCache(flagsByte byte, recs []rec, hwcaps []string, gen string) {
	base := len(w.b)
	w.b = append(w.b, magicNew+versionNew...)
	w.u32(uint32(len(recs)))
	w.u32(0) // len_strings, patched below
	w.b = append(w.b, flagsByte, 0, 0, 0)
	w.u32(0) // extension_offset, patched below
	w.b = append(w.b, make([]byte, 12)...)
	ents := len(w.b)
	w.b = append(w.b, make([]byte, newEntrySize*len(recs))...)
	strs := len(w.b)
	for i, r := range recs {
		e := ents + i*newEntrySize
		key, value := w.cstr(r.name, base), w.cstr(r.path, base) // before indexing w.b: they grow it
		w.bo.PutUint32(w.b[e:], uint32(r.flags))
		w.bo.PutUint32(w.b[e+4:], key)
		w.bo.PutUint32(w.b[e+8:], value)
		w.bo.PutUint64(w.b[e+16:], r.hwcap)
	}
	var names []uint32
	for _, h := range hwcaps {
		names = append(names, w.cstr(h, base))
	}
	w.putU32(base+24, uint32(len(w.b)-strs))
	w.align(4)
	ext := len(w.b)
	w.putU32(base+32, uint32(ext))
	w.u32(extensionMagic)
	nsec := uint32(1)
	if len(hwcaps) > 0 {
		nsec = 2
	}
	w.u32(nsec)
	dataOff := uint32(ext + extHeaderSize + int(nsec)*extSectionSize)
	hwSize := uint32(4 * len(hwcaps))
	w.u32(extTagGenerator)
	w.u32(0)
	w.u32(dataOff + hwSize)
	w.u32(uint32(len(gen)))
	if len(hwcaps) > 0 {
		w.u32(extTagHWCaps)
		w.u32(0)
		w.u32(dataOff)
		w.u32(hwSize)
	}
	for _, n := range names {
		w.u32(n)
	}
	w.b = append(w.b, gen...)
}

// oldCache lays out an old-format table; strings count from the end of the
// entries. pad adds one more copy of the last entry when the count is odd,
// as ldconfig does for the compat format.
func (w *buf) oldCache(recs []rec, pad bool) {
	if pad && len(recs)%2 == 1 {
		recs = append(slices.Clip(recs), recs[len(recs)-1])
	}
	w.b = append(w.b, magicOld...)
	w.b = append(w.b, 0)
	w.u32(uint32(len(recs)))
	ents := len(w.b)
	w.b = append(w.b, make([]byte, oldEntrySize*len(recs))...)
	base := len(w.b)
	for i, r := range recs {
		e := ents + i*oldEntrySize
		key, value := w.cstr(r.name, base), w.cstr(r.path, base)
		w.bo.PutUint32(w.b[e:], uint32(r.flags))
		w.bo.PutUint32(w.b[e+4:], key)
		w.bo.PutUint32(w.b[e+8:], value)
	}
}

func newFile(bo binary.ByteOrder, flagsByte byte, recs []rec, hwcaps []string, gen string) []byte {
	w := &buf{bo: bo}
	w.newCache(flagsByte, recs, hwcaps, gen)
	return w.b
}

func oldFile(bo binary.ByteOrder, recs []rec) []byte {
	w := &buf{bo: bo}
	w.oldCache(recs, false)
	return w.b
}

// compatFile is an old table with a new cache after it, 8-aligned: the old
// table's strings are in the new part, so the old entries here point at
// the padding, which is enough for the loader: it reads the new part.
func compatFile(bo binary.ByteOrder, flagsByte byte, recs []rec, hwcaps []string, gen string) []byte {
	w := &buf{bo: bo}
	old := make([]rec, len(recs))
	for i, r := range recs {
		old[i] = rec{flags: r.flags}
	}
	w.oldCache(old, true)
	w.b = w.b[:oldHeaderSize+oldEntrySize*((len(recs)+1)&^1)] // no strings of its own
	w.align(8)
	w.newCache(flagsByte, recs, hwcaps, gen)
	return w.b
}

const x86 = FlagELFLibc6 | FlagX8664Lib64

// sample is a small cache in ldconfig's order.
var (
	sampleHWCaps = []string{"x86-64-v2", "x86-64-v3"}
	sample       = []rec{
		{"libz.so.1", "/usr/lib/glibc-hwcaps/x86-64-v3/libz.so.1", x86, named(1)},
		{"libz.so.1", "/usr/lib/glibc-hwcaps/x86-64-v2/libz.so.1", x86, named(0)},
		{"libz.so.1", "/usr/lib/libz.so.1", x86, 0},
		{"libz.so.1", "/usr/lib32/libz.so.1", FlagELFLibc6, 0},
		{"libm.so.6", "/usr/lib/libm.so.6", x86, 0},
		{"libc.so.6", "/usr/lib/libc.so.6", x86, 0},
		{"libc.so.6", "/usr/libx32/libc.so.6", FlagELFLibc6 | FlagX8664LibX32, 0},
		{"libc.so.6", "/usr/lib32/libc.so.6", FlagELFLibc6, 0},
	}
)

func TestParseLayouts(t *testing.T) {
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		mark := byte(endianLittle)
		if bo == binary.BigEndian {
			mark = endianBig
		}
		for _, tc := range []struct {
			name   string
			data   []byte
			format Format
		}{
			{"new", newFile(bo, mark, sample, sampleHWCaps, "gen"), FormatNew},
			{"new-unmarked", newFile(bo, 0, sample, sampleHWCaps, "gen"), FormatNew},
			{"compat", compatFile(bo, mark, sample, sampleHWCaps, "gen"), FormatCompat},
			{"old", oldFile(bo, sample), FormatOld},
		} {
			t.Run(bo.String()+"/"+tc.name, func(t *testing.T) {
				c, err := Parse(tc.data)
				if err != nil {
					t.Fatal(err)
				}
				if c.Format != tc.format || c.ByteOrder != bo {
					t.Errorf("format %v %v, want %v %v", c.Format, c.ByteOrder, tc.format, bo)
				}
				if len(c.Entries) != len(sample) {
					t.Fatalf("%d entries, want %d", len(c.Entries), len(sample))
				}
				for i, e := range c.Entries {
					r := sample[i]
					if tc.format == FormatOld {
						r.hwcap = 0
					}
					if e.Name != r.name || e.Path != r.path || e.Flags != r.flags || e.HWCap != r.hwcap {
						t.Errorf("entry %d: %+v, want %+v", i, e, r)
					}
				}
				d := elf.ELFDATA2LSB
				if bo == binary.BigEndian {
					d = elf.ELFDATA2MSB
				}
				if !c.MatchesData(d) || c.MatchesData(d^3) {
					t.Errorf("MatchesData wrong for %v", bo)
				}
				if tc.format == FormatOld {
					return
				}
				if c.Generator != "gen" {
					t.Errorf("generator %q", c.Generator)
				}
				if tc.format == FormatCompat {
					// The hwcaps name offsets count from the new
					// header, the loader reads them from the file's
					// start: no glibc-hwcaps entry can match.
					if p, _, _ := c.Lookup("libz.so.1", x8664, v32); p != "/usr/lib/libz.so.1" {
						t.Errorf("compat lookup gave %s", p)
					}
					return
				}
				if !slices.Equal(c.HWCaps, sampleHWCaps) {
					t.Errorf("hwcaps %q", c.HWCaps)
				}
				if e := c.Entries[0]; e.HWCapsName != "x86-64-v3" || e.String() != `libz.so.1 (libc6,x86-64, hwcap: "x86-64-v3") => /usr/lib/glibc-hwcaps/x86-64-v3/libz.so.1` {
					t.Errorf("entry 0 reads %s", e)
				}
				if p, h, _ := c.Lookup("libz.so.1", x8664, v32); p != "/usr/lib/glibc-hwcaps/x86-64-v3/libz.so.1" || h != "x86-64-v3" {
					t.Errorf("lookup gave %s %s", p, h)
				}
			})
		}
	}
}

// TestLookupABI checks that the ABI picks the entry among those of one
// name, on the new and old formats.
func TestLookupABI(t *testing.T) {
	i386 := mustABI(elf.EM_386, elf.ELFCLASS32, 0)
	x32 := mustABI(elf.EM_X86_64, elf.ELFCLASS32, 0)
	arm64 := mustABI(elf.EM_AARCH64, elf.ELFCLASS64, 0)
	for _, data := range [][]byte{newFile(binary.LittleEndian, endianLittle, sample, sampleHWCaps, ""), oldFile(binary.LittleEndian, sample)} {
		c, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			abi  ABI
			want string
		}{
			{"libc.so.6", x8664, "/usr/lib/libc.so.6"},
			{"libc.so.6", x32, "/usr/libx32/libc.so.6"},
			{"libc.so.6", i386, "/usr/lib32/libc.so.6"},
			{"libc.so.6", arm64, ""},
			{"libz.so.1", i386, "/usr/lib32/libz.so.1"},
			{"libm.so.6", i386, ""},
			{"libm.so.6", x8664, "/usr/lib/libm.so.6"},
			{"libx.so.6", x8664, ""},
			{"", x8664, ""},
		} {
			if got, _, ok := c.Lookup(tc.name, tc.abi, nil); got != tc.want || ok != (tc.want != "") {
				t.Errorf("%v: Lookup(%q, %#x) = %q, %v; want %q", c.Format, tc.name, int32(tc.abi.Flags), got, ok, tc.want)
			}
		}
	}
}

// TestLookupRules checks the corners of search_cache.
func TestLookupRules(t *testing.T) {
	mk := func(old bool, recs ...rec) *Cache {
		t.Helper()
		data := newFile(binary.LittleEndian, endianLittle, recs, sampleHWCaps, "")
		if old {
			data = oldFile(binary.LittleEndian, recs)
		}
		c, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	i386 := mustABI(elf.EM_386, elf.ELFCLASS32, 0)
	armhf := mustABI(elf.EM_ARM, elf.ELFCLASS32, arch.EFARMABIFloatHard)
	hf := FlagELFLibc6 | FlagARMLibHF
	check := func(c *Cache, name string, abi ABI, hwcaps []string, want string) {
		t.Helper()
		if got, _, _ := c.Lookup(name, abi, hwcaps); got != want {
			t.Errorf("%v: Lookup(%s) = %q, want %q", c.Format, name, got, want)
		}
	}

	// Generic loaders take libc6 or plain ELF entries. In the new
	// format the first accepted wins; in the old one the last, unless
	// one has the default flags.
	ab := []rec{{"liba.so", "/1", FlagELF, 0}, {"liba.so", "/2", FlagELF, 0}, {"liba.so", "/3", FlagELFLibc6, 0}}
	check(mk(false, ab...), "liba.so", i386, nil, "/1")
	check(mk(true, ab[:2]...), "liba.so", i386, nil, "/2")
	check(mk(true, ab...), "liba.so", i386, nil, "/3")
	check(mk(true, ab[2], ab[0], ab[1]), "liba.so", i386, nil, "/3")

	// ARM hard-float takes unmarked libc6 entries too; in the old format
	// those are its default ID and end the search.
	arm := []rec{{"liba.so", "/hf", hf, 0}, {"liba.so", "/plain", FlagELFLibc6, 0}}
	check(mk(false, arm...), "liba.so", armhf, nil, "/hf")
	check(mk(true, arm...), "liba.so", armhf, nil, "/plain")
	check(mk(true, arm[1], arm[0]), "liba.so", armhf, nil, "/plain")

	// Legacy hwcap entries are skipped (glibc 2.37).
	check(mk(false, rec{"liba.so", "/tls", x86, 1 << 63}, rec{"liba.so", "/base", x86, 0}), "liba.so", x8664, nil, "/base")
	check(mk(false, rec{"liba.so", "/tls", x86, 1 << 63}), "liba.so", x8664, nil, "")

	// A glibc-hwcaps entry after the baseline one is never reached.
	check(mk(false, rec{"liba.so", "/base", x86, 0}, rec{"liba.so", "/v3", x86, named(1)}), "liba.so", x8664, v32, "/base")
	// An index beyond the name list, or an ISA level above the CPU's,
	// makes an entry unusable.
	check(mk(false, rec{"liba.so", "/bad", x86, named(7)}, rec{"liba.so", "/base", x86, 0}), "liba.so", x8664, v32, "/base")
	isa4 := named(1) | 3<<32
	check(mk(false, rec{"liba.so", "/v3", x86, isa4}, rec{"liba.so", "/base", x86, 0}), "liba.so", x8664, v32, "/base")
	check(mk(false, rec{"liba.so", "/v3", x86, isa4}, rec{"liba.so", "/base", x86, 0}), "liba.so", x8664, v432, "/v3")

	// Names: digit runs by value, and the binary search finds a name
	// anywhere in a long sorted list.
	var many []rec
	for i := 300; i >= 0; i-- {
		many = append(many, rec{"libn.so." + strconv.Itoa(i), "/n" + strconv.Itoa(i), x86, 0})
	}
	c := mk(false, many...)
	for _, i := range []int{0, 1, 9, 10, 99, 100, 150, 299, 300} {
		check(c, "libn.so."+strconv.Itoa(i), x8664, nil, "/n"+strconv.Itoa(i))
	}
	check(c, "libn.so.0007", x8664, nil, "/n7")
	check(c, "libn.so.301", x8664, nil, "")
	check(c, "libn.so.x", x8664, nil, "")
}

// TestHWCapsPriorities checks glibc's merge of the cache's sorted name
// list with the active names.
func TestHWCapsPriorities(t *testing.T) {
	c := &Cache{HWCaps: []string{"a", "b", "c", "d"}, hwcapsOK: []bool{true, true, false, true}}
	got := c.priorities([]string{"d", "c", "a", "x"})
	if want := []uint32{3, 0, 0, 1}; !slices.Equal(got, want) {
		t.Errorf("priorities %v, want %v", got, want)
	}
	// A list out of order loses names, as in glibc.
	c = &Cache{HWCaps: []string{"b", "a"}, hwcapsOK: []bool{true, true}}
	if got := c.priorities([]string{"a", "b"}); !slices.Equal(got, []uint32{2, 0}) {
		t.Errorf("unsorted list: priorities %v", got)
	}
	if c.priorities(nil) != nil {
		t.Error("priorities of no active names")
	}
}

func TestLibcmp(t *testing.T) {
	for _, tc := range []struct {
		a, b     string
		unsigned bool
		sign     int
	}{
		{"libc.so.6", "libc.so.6", false, 0},
		{"libc.so.6", "libc.so.06", false, 0},
		{"libc.so.10", "libc.so.9", false, 1},
		{"libc.so.9", "libc.so.10", false, -1},
		{"liba", "libb", false, -1},
		{"lib1", "liba", false, 1}, // a digit sorts after any other byte
		{"liba", "lib1", false, -1},
		{"lib", "lib.so", false, -1},
		{"lib.so", "lib", false, 1},
		{"lib\x80", "liba", false, -1}, // signed char
		{"lib\x80", "liba", true, 1},
		{"lib", "lib\x80", false, 1},
		{"lib", "lib\x80", true, -1},
		{"a\x00b", "a", false, 0},
		{"v4294967297", "v1", false, 0}, // int arithmetic wraps
	} {
		got := libcmp(tc.a, tc.b, tc.unsigned)
		if sign(got) != tc.sign {
			t.Errorf("libcmp(%q, %q, unsigned=%v) = %d, want sign %d", tc.a, tc.b, tc.unsigned, got, tc.sign)
		}
	}
}

func sign(v int32) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// TestParseErrors checks that damaged files give a *FormatError that says
// what is wrong, and never a panic.
func TestParseErrors(t *testing.T) {
	good := newFile(binary.LittleEndian, endianLittle, sample, sampleHWCaps, "gen")
	patch := func(at int, v uint32) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint32(b[at:], v)
		return b
	}
	ext := int(binary.LittleEndian.Uint32(good[32:]))
	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "bad magic"},
		{"elf", []byte("\x7fELF\x02\x01\x01"), "bad magic"},
		{"version", []byte("glibc-ld.so.cache2.0" + strings.Repeat("\x00", 40)), `unsupported cache version "2.0"`},
		{"short", good[:40], "truncated header"},
		{"nlibs", patch(20, 1<<30), "do not fit"},
		{"nlibs-max", patch(20, 0xffffffff), "do not fit"},
		{"entries-cut", good[:48+24*3], "do not fit"},
		{"invalid-mark", func() []byte { b := bytes.Clone(good); b[28] = endianInvalid; return b }(), "mark the cache invalid"},
		{"key", patch(48+4, uint32(len(good))), "entry 0: name offset"},
		{"value", patch(48+24*2+8, 0xfffffff0), "entry 2: path offset"},
		{"unterminated", append(bytes.Clone(good[:len(good)-3]), 'x', 'y', 'z'), ""}, // generator only: fine
		{"ext-misaligned", patch(32, uint32(ext+2)), "not a multiple of 4"},
		{"ext-beyond", patch(32, uint32(len(good)+4)&^3), "beyond the end"},
		{"ext-magic", patch(ext, 0x12345678), "bad extension magic"},
		{"ext-count", patch(ext+4, 0x10000000), "do not fit"},
		{"ext-section", patch(ext+8+12, 0xffffffff), "beyond the end"},
		{"old-short", []byte("ld.so-1.7.0\x00\x01"), "truncated header"},
		{"old-nlibs", []byte("ld.so-1.7.0\x00\x01\x00\x00\x00"), "do not fit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.data)
			if tc.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var fe *FormatError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.msg) || c != nil {
				t.Fatalf("got %v, %v; want a FormatError with %q", c, err, tc.msg)
			}
		})
	}

	// A string that runs to the end of the file.
	b := newFile(binary.LittleEndian, endianLittle, []rec{{"libz.so", "/libz.so", x86, 0}}, nil, "")
	binary.LittleEndian.PutUint32(b[32:], 0) // no extension
	end := bytes.Index(b, []byte("/libz.so\x00"))
	if _, err := Parse(append(b[:end:end], "/libz.so"...)); err == nil || !strings.Contains(err.Error(), "not NUL-terminated") {
		t.Errorf("unterminated path: %v", err)
	}
}

// TestHWCapsSectionDropped: glibc ignores a glibc-hwcaps section that is
// empty or misaligned; its entries then match no subdirectory.
func TestHWCapsSectionDropped(t *testing.T) {
	good := newFile(binary.LittleEndian, endianLittle, sample, sampleHWCaps, "gen")
	ext := int(binary.LittleEndian.Uint32(good[32:]))
	sec := ext + extHeaderSize + extSectionSize // the hwcaps section
	for _, tc := range []struct {
		name       string
		at         int
		v          uint32
		unreadable bool
	}{
		{"misaligned", sec + 8, binary.LittleEndian.Uint32(good[sec+8:]) + 2, false},
		{"size", sec + 12, 6, false},
		{"empty", sec + 12, 0, false},
		{"name-offset", int(binary.LittleEndian.Uint32(good[sec+8:])) + 4, uint32(len(good) + 100), true},
	} {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint32(b[tc.at:], tc.v)
		c, err := Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.unreadable != (len(c.HWCaps) == 2) {
			t.Errorf("%s: hwcaps %q", tc.name, c.HWCaps)
		}
		if c.Entries[0].HWCapsName != "" || !strings.Contains(c.Entries[0].String(), "hwcap: 0x4000000000000001") {
			t.Errorf("%s: entry 0 reads %s", tc.name, c.Entries[0])
		}
		want := "/usr/lib/libz.so.1"
		if tc.unreadable { // only the name of x86-64-v3 is lost
			want = "/usr/lib/glibc-hwcaps/x86-64-v2/libz.so.1"
		}
		if p, _, _ := c.Lookup("libz.so.1", x8664, v432); p != want {
			t.Errorf("%s: lookup gave %s, want %s", tc.name, p, want)
		}
	}
}

func TestLoad(t *testing.T) {
	fsys := FromFS(fstest.MapFS{
		"etc/ld.so.cache": {Data: newFile(binary.BigEndian, endianBig, sample, nil, "")},
		"etc/bad.cache":   {Data: []byte("ld.so-1.7.0")},
	})
	c, err := Load(fsys, "/etc/ld.so.cache")
	if err != nil || len(c.Entries) != len(sample) || c.ByteOrder != binary.BigEndian {
		t.Fatalf("Load: %v, %v", c, err)
	}
	_, err = Load(fsys, "/etc/bad.cache")
	var fe *FormatError
	if !errors.As(err, &fe) || fe.File != "/etc/bad.cache" || !strings.HasPrefix(err.Error(), "ldcache: /etc/bad.cache: ") {
		t.Errorf("bad cache: %v", err)
	}
	if _, err := Load(fsys, "/etc/none"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing cache: %v", err)
	}
}

func TestEntryStrings(t *testing.T) {
	for _, tc := range []struct {
		e    Entry
		want string
	}{
		{Entry{Name: "libz.so.1", Path: "/lib/libz.so.1", Flags: x86}, "libz.so.1 (libc6,x86-64) => /lib/libz.so.1"},
		{Entry{Name: "a", Path: "/a", Flags: FlagELFLibc6 | FlagAArch64Lib64, HWCap: 8}, "a (libc6,AArch64, hwcap: 0x0000000000000008) => /a"},
		{Entry{Name: "a", Path: "/a", Flags: FlagELF}, "a (ELF) => /a"},
		{Entry{Name: "a", Path: "/a", Flags: 0x37}, "a (unknown) => /a"},
		{Entry{Name: "a", Path: "/a", Flags: 0x1303}, "a (libc6,4864) => /a"},
		{Entry{Name: "a", Path: "/a", Flags: FlagELFLibc6 | FlagMIPS64LibN32NaN2008}, "a (libc6,N32,nan2008) => /a"},
		{Entry{Name: "a", Path: "/a", Flags: x86, HWCap: named(2), HWCapsName: "x86-64-v4"}, `a (libc6,x86-64, hwcap: "x86-64-v4") => /a`},
		{Entry{Name: "a", Path: "/a", Flags: x86, HWCap: named(2), named: true}, `a (libc6,x86-64, hwcap: "") => /a`},
	} {
		if got := tc.e.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
