package ldcache

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// The files in testdata are caches the real ldconfig wrote for the tree of
// newTestRoot, so that the tests below and the examples run where ldconfig
// and gcc are missing, and seeds for FuzzParse made from them. Rebuild
// them with
//
//	LDCACHE_REGEN=1 go test -run TestRegenerateTestdata ./elfscan/ldcache/
var testdataCaches = map[Format]string{
	FormatNew:    "testdata/ld.so.cache",
	FormatCompat: "testdata/ld.so.cache-compat",
	FormatOld:    "testdata/ld.so.cache-old",
}

// TestTestdata holds the committed caches to the lookups the real loader
// makes (see TestLoaderRoot).
func TestTestdata(t *testing.T) {
	for f, file := range testdataCaches {
		c, err := Load(FromFS(os.DirFS(".")), file)
		if err != nil {
			t.Fatal(err)
		}
		if c.Format != f {
			t.Errorf("%s: format %v", file, c.Format)
		}
		for _, lc := range lookupCases[f] {
			lc.check(t, c)
		}
	}
}

func TestRegenerateTestdata(t *testing.T) {
	if os.Getenv("LDCACHE_REGEN") == "" {
		t.Skip("set LDCACHE_REGEN=1 to rewrite testdata")
	}
	r := newTestRoot(t, false)
	real := map[Format][]byte{}
	for f, file := range testdataCaches {
		r.ldconfig(t, f.String())
		data, err := os.ReadFile(filepath.Join(r.dir, "etc/ld.so.cache"))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, file, data)
		real[f] = data
	}

	// Seeds: the real caches, cut and damaged; synthetic ones in the
	// other byte order and without the endianness mark.
	seeds := map[string][]byte{
		"real-new":    real[FormatNew],
		"real-compat": real[FormatCompat],
		"real-old":    real[FormatOld],
		"be-new":      newFile(binary.BigEndian, endianBig, sample, sampleHWCaps, "gen"),
		"be-compat":   compatFile(binary.BigEndian, endianBig, sample, sampleHWCaps, "gen"),
		"be-old":      oldFile(binary.BigEndian, sample),
		"unmarked":    newFile(binary.LittleEndian, endianUnset, sample, sampleHWCaps, ""),
	}
	n := real[FormatNew]
	ext := int(binary.LittleEndian.Uint32(n[32:]))
	for _, cut := range []int{11, 20, 47, 48, 48 + 24*3 + 5, ext - 7, ext + 4, ext + 20, len(n) - 1} {
		seeds["cut-"+strconv.Itoa(cut)] = n[:cut]
	}
	for _, m := range []struct {
		name string
		at   int
		v    uint32
	}{
		{"nlibs-huge", 20, 0xffffffff},
		{"nlibs-plus1", 20, binary.LittleEndian.Uint32(n[20:]) + 1},
		{"endian-invalid", 28, 1},
		{"endian-big", 28, 3},
		{"ext-misaligned", 32, uint32(ext + 2)},
		{"ext-beyond", 32, uint32(len(n) + 64)},
		{"ext-count", ext + 4, 0x40000000},
		{"key-end", 48 + 4, uint32(len(n))},
		{"value-last-byte", 48 + 8, uint32(len(n) - 1)},
		{"hwcap-index", 48 + 16, 0xfffffff0},
		{"section-size", ext + 8 + 16 + 12, 0xfffffffc},
	} {
		b := bytes.Clone(n)
		binary.LittleEndian.PutUint32(b[m.at:], m.v)
		seeds["mangled-"+m.name] = b
	}
	for name, data := range seeds {
		writeFile(t, filepath.Join("testdata/fuzz/FuzzParse", name), []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)))
	}
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
