package ldcache

import (
	"debug/elf"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fromscratch/fromscratch/internal/arch"
)

// FuzzParse feeds Parse arbitrary files (seeds in testdata/fuzz/FuzzParse:
// caches ldconfig wrote, cut and damaged) and uses what it returns. It
// must return a *FormatError or a cache no bigger than the file allows,
// never panic.
func FuzzParse(f *testing.F) {
	abis := []ABI{
		mustABI(elf.EM_X86_64, elf.ELFCLASS64, 0),
		mustABI(elf.EM_386, elf.ELFCLASS32, 0),
		mustABI(elf.EM_ARM, elf.ELFCLASS32, arch.EFARMABIFloatHard),
		mustABI(elf.EM_AARCH64, elf.ELFCLASS64, 0),
	}
	hwcaps := [][]string{nil, v432, {"custom", "x86-64-v2"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || c != nil {
				t.Fatalf("Parse returned %v, %v", c, err)
			}
			if fe.Off < 0 {
				t.Fatalf("error offset %d", fe.Off)
			}
			return
		}
		if len(c.Entries)*oldEntrySize > len(data) || len(c.HWCaps)*4 > len(data) || len(c.HWCaps) != len(c.hwcapsOK) {
			t.Fatalf("%d entries and %d hwcaps names from %d bytes", len(c.Entries), len(c.HWCaps), len(data))
		}
		for i, e := range c.Entries {
			if strings.IndexByte(e.Name, 0) >= 0 || strings.IndexByte(e.Path, 0) >= 0 {
				t.Fatalf("entry %d has a NUL: %q", i, e)
			}
			_ = e.String()
			if i < 32 { // a lookup can walk the whole table
				for _, abi := range abis {
					for _, h := range hwcaps {
						p, name, ok := c.Lookup(e.Name, abi, h)
						if !ok && (p != "" || name != "") {
							t.Fatalf("Lookup(%q) = %q, %q, false", e.Name, p, name)
						}
					}
				}
			}
		}
		c.Lookup("libc.so.6", abis[0], v432)
	})
}

// FuzzParseConf feeds ParseConf an ld.so.conf and a file it may include,
// in a tree that also holds an include loop.
func FuzzParseConf(f *testing.F) {
	f.Add([]byte("include /etc/ld.so.conf.d/*.conf\n"), []byte("# libc default configuration\n/usr/local/lib\n"))
	f.Add([]byte("/usr/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu=libc6\nhwcap 1 nosegneg\n"), []byte(""))
	f.Add([]byte("include\tld.so.conf.d/[a-c]*.conf /etc/*/?.conf\n/opt/x/ # c\n"), []byte("include /etc/ld.so.conf\n/a b\r\n"))
	f.Add([]byte("include /etc/ld.so.conf.d/\\*.conf /etc/[!e]*/.*\n\x00/x\n"), []byte("include /etc/ld.so.conf.d/a.conf\n"))
	f.Add([]byte("include /etc/[[:alpha:]]*/[]a-]*\ninclude /etc/ld.so.conf.d/[\ninclude /"), []byte("/"))
	f.Fuzz(func(t *testing.T, conf, included []byte) {
		fsys := FromFS(fstest.MapFS{
			"etc/ld.so.conf":            {Data: conf},
			"etc/ld.so.conf.d/a.conf":   {Data: included},
			"etc/ld.so.conf.d/b.conf":   {Data: []byte("include /etc/ld.so.conf /etc/ld.so.conf.d/*.conf\n/b\n")},
			"etc/ld.so.conf.d/.h.conf":  {Data: []byte("/hidden\n")},
			"etc/other/1.conf":          {Data: included},
			"etc/ld.so.conf.d/sub.conf": {Mode: fs.ModeDir},
		})
		dirs, err := ParseConf(fsys, "/etc/ld.so.conf")
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, d := range dirs {
			if d == "" || seen[d] || strings.ContainsAny(d, "\n\x00#=") || strings.HasSuffix(d, "/") {
				t.Fatalf("bad directory %q in %q", d, dirs)
			}
			seen[d] = true
		}
	})
}
