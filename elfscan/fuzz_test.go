package elfscan

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"testing"
)

// allocatedBytes is the total the heap has allocated so far. Unlike
// runtime.ReadMemStats it does not stop the world, so the fuzz test can
// call it on every input.
func allocatedBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// FuzzScan feeds Scan arbitrary bytes: it must return a File or a
// *FormatError naming the file, never panic (Scan turns a panic into an
// error wrapping errPanic, which fails here), and allocate in proportion
// to the input, not to the numbers in it.
//
// The seed corpus in testdata/fuzz/FuzzScan comes from seedFiles; rewrite
// it with FROMSCRATCH_WRITE_SEEDS=1 go test -run TestFuzzSeeds.
func FuzzScan(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		before := allocatedBytes()
		file, err := Scan(bytes.NewReader(b), int64(len(b)), "fuzz")
		allocated := allocatedBytes() - before
		checkResult(t, "fuzz", file, err)
		// Every read is bounded by the input, and strings by twice the
		// string table plus 1 MiB; the maps and slices built from them
		// cost a small multiple of that.
		if limit := 64*uint64(len(b)) + 8<<20; allocated > limit {
			t.Fatalf("a %d-byte input allocated %d bytes (limit %d)", len(b), allocated, limit)
		}
		if file == nil {
			return
		}
		if file.Kind < KindOther || file.Kind > KindShared {
			t.Fatalf("kind %d", file.Kind)
		}
		// A file is compatible with itself, but for the MIPS O32 FP64 ABI,
		// which glibc refuses outright (the fuzzer found that one).
		if why, fatal := file.Mismatch(file); fatal || why != "" && !(file.Machine == elf.EM_MIPS && file.EFlags&mipsFP64 != 0) {
			t.Fatalf("a file is incompatible with itself: %s", why)
		}
		file.Platform()
		for _, n := range file.Needed {
			if bytes.IndexByte([]byte(n), 0) >= 0 {
				t.Fatalf("NUL in a needed name %q", n)
			}
		}
	})
}

// seedFiles are small files that reach every part of the scanner: both
// classes and byte orders, both hash tables, with and without section
// headers, ARM attributes, and a few broken ones.
func seedFiles() map[string][]byte {
	seeds := map[string][]byte{}
	for _, class := range []elf.Class{elf.ELFCLASS32, elf.ELFCLASS64} {
		for _, data := range []elf.Data{elf.ELFDATA2LSB, elf.ELFDATA2MSB} {
			for _, gnu := range []bool{false, true} {
				name := fmt.Sprintf("%s-%s-gnuhash-%v", map[elf.Class]string{elf.ELFCLASS32: "32", elf.ELFCLASS64: "64"}[class],
					map[elf.Data]string{elf.ELFDATA2LSB: "le", elf.ELFDATA2MSB: "be"}[data], gnu)
				seeds[name] = writeELF(testELF{
					Class: class, Data: data, Machine: elf.EM_PPC64, Interp: "/lib/ld.so.1",
					Needed: []string{"libc.so.6", "libm.so.6"}, Soname: "libx.so.1",
					RPath: strp("$ORIGIN/lib"), RunPath: strp("/opt:$LIB"), Flags1: DF1PIE,
					Imports: []string{"iconv_open", "malloc"}, Exports: []string{"f"},
					GNUHash: gnu, Sections: gnu,
				})
			}
		}
	}
	seeds["static"] = writeELF(testELF{Type: elf.ET_EXEC, NoDynamic: true})
	seeds["static-pie"] = writeELF(testELF{Flags1: DF1PIE})
	seeds["arm-attributes"] = writeELF(testELF{Class: elf.ELFCLASS32, Machine: elf.EM_ARM, EFlags: 0x05000400,
		Interp: "/lib/ld-linux-armhf.so.3", Needed: []string{"libc.so.6"}, Sections: true, ARMAttrs: armAttributes("7-A", 10)})
	good := writeELF(testELF{Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"libc.so.6"}, Imports: []string{"puts"}})
	seeds["truncated-header"] = good[:40]
	seeds["truncated-dynamic"] = good[:len(good)-20]
	seeds["stripped"] = stripSectionHeaders(writeELF(testELF{Needed: []string{"a.so"}, Sections: true}))
	seeds["no-magic"] = []byte("#!/bin/sh\n")
	return seeds
}

// TestFuzzSeeds checks that the seed corpus is there, and writes it when
// FROMSCRATCH_WRITE_SEEDS is set.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzScan")
	seeds := seedFiles()
	if os.Getenv("FROMSCRATCH_WRITE_SEEDS") != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range seeds {
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, b := range seeds {
		if len(b) > 20<<10 {
			t.Errorf("seed %s is %d bytes", name, len(b))
		}
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("seed missing (FROMSCRATCH_WRITE_SEEDS=1 writes it): %v", err)
		}
	}
}
