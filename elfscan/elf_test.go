package elfscan

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// A testELF describes a small ELF file that writeELF builds: an ELF header,
// program headers (one PT_LOAD mapping the whole file, PT_INTERP,
// PT_DYNAMIC), the dynamic string and symbol tables, a hash table and the
// dynamic section — what the loader reads — and optionally a section
// header table. It works for both classes and both byte orders, which lets
// the tests cover big-endian and 32-bit files without cross toolchains,
// and it seeds the fuzz corpus.
type testELF struct {
	Class   elf.Class
	Data    elf.Data
	Machine elf.Machine
	Type    elf.Type
	OSABI   elf.OSABI
	EFlags  uint32

	Interp     string
	NoDynamic  bool // no PT_DYNAMIC at all
	Needed     []string
	Soname     string
	RPath      *string
	RunPath    *string
	Flags      uint64
	Flags1     uint64
	Imports    []string // undefined dynamic symbols
	Exports    []string // defined dynamic symbols
	GNUHash    bool     // DT_GNU_HASH instead of DT_HASH
	Sections   bool     // write a section header table
	ARMAttrs   []byte   // with Sections: an .ARM.attributes section
	Vaddr      uint64   // where the PT_LOAD maps offset 0 (default 0x10000)
	ExtraDyn   [][2]uint64
	DynamicRaw []byte // replaces the dynamic section's content
}

func strp(s string) *string { return &s }

type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

type elfBuf struct {
	b  []byte
	bo byteOrder
	w8 bool // ELFCLASS64
}

func (w *elfBuf) u8(v uint8)   { w.b = append(w.b, v) }
func (w *elfBuf) u16(v uint16) { w.b = w.bo.AppendUint16(w.b, v) }
func (w *elfBuf) u32(v uint32) { w.b = w.bo.AppendUint32(w.b, v) }
func (w *elfBuf) u64(v uint64) { w.b = w.bo.AppendUint64(w.b, v) }
func (w *elfBuf) word(v uint64) {
	if w.w8 {
		w.u64(v)
	} else {
		w.u32(uint32(v))
	}
}
func (w *elfBuf) align(n int) {
	for len(w.b)%n != 0 {
		w.b = append(w.b, 0)
	}
}

// writeELF builds the file t describes.
func writeELF(t testELF) []byte {
	if t.Class == 0 {
		t.Class = elf.ELFCLASS64
	}
	if t.Data == 0 {
		t.Data = elf.ELFDATA2LSB
	}
	if t.Machine == 0 {
		t.Machine = elf.EM_X86_64
	}
	if t.Type == 0 {
		t.Type = elf.ET_DYN
	}
	if t.Vaddr == 0 {
		t.Vaddr = 0x10000
	}
	is64 := t.Class == elf.ELFCLASS64
	var bo byteOrder = binary.LittleEndian
	if t.Data == elf.ELFDATA2MSB {
		bo = binary.BigEndian
	}
	ehsize, phentsize, symsize, shentsize := 52, 32, 16, 40
	if is64 {
		ehsize, phentsize, symsize, shentsize = 64, 56, 24, 64
	}

	// The string table and where each string starts.
	strtab := []byte{0}
	addStr := func(s string) uint64 {
		off := uint64(len(strtab))
		strtab = append(append(strtab, s...), 0)
		return off
	}
	var needed []uint64
	for _, n := range t.Needed {
		needed = append(needed, addStr(n))
	}
	var soname, rpath, runpath uint64
	if t.Soname != "" {
		soname = addStr(t.Soname)
	}
	if t.RPath != nil {
		rpath = addStr(*t.RPath)
	}
	if t.RunPath != nil {
		runpath = addStr(*t.RunPath)
	}
	type sym struct {
		name    uint64
		defined bool
	}
	syms := []sym{{}}
	for _, n := range t.Imports {
		syms = append(syms, sym{addStr(n), false})
	}
	for _, n := range t.Exports {
		syms = append(syms, sym{addStr(n), true})
	}

	nph := 1
	if t.Interp != "" {
		nph++
	}
	if !t.NoDynamic {
		nph++
	}
	w := &elfBuf{bo: bo, w8: is64}
	// Layout: header, program headers, interp, strtab, symtab, hash,
	// dynamic, [shstrtab, ARM attributes, section headers].
	off := ehsize + nph*phentsize
	interpOff := off
	off += len(t.Interp) + 1
	strOff := off
	off += len(strtab)
	off = (off + 7) &^ 7
	symOff := off
	off += len(syms) * symsize
	hashOff := off
	ws := 4
	if is64 {
		ws = 8
	}
	var hashSize int
	if t.GNUHash {
		hashSize = 16 + ws + 4 + 4*(len(syms)-1)
	} else {
		hashSize = 8 + 4 + 4*len(syms)
	}
	off += hashSize
	off = (off + 7) &^ 7
	dynOff := off
	dyn := func() []byte {
		d := &elfBuf{bo: bo, w8: is64}
		ent := func(tag elf.DynTag, v uint64) { d.word(uint64(tag)); d.word(v) }
		for _, n := range needed {
			ent(elf.DT_NEEDED, n)
		}
		if t.Soname != "" {
			ent(elf.DT_SONAME, soname)
		}
		if t.RPath != nil {
			ent(elf.DT_RPATH, rpath)
		}
		if t.RunPath != nil {
			ent(elf.DT_RUNPATH, runpath)
		}
		if t.Flags != 0 {
			ent(elf.DT_FLAGS, t.Flags)
		}
		if t.Flags1 != 0 {
			ent(elf.DT_FLAGS_1, t.Flags1)
		}
		ent(elf.DT_STRTAB, t.Vaddr+uint64(strOff))
		ent(elf.DT_STRSZ, uint64(len(strtab)))
		ent(elf.DT_SYMTAB, t.Vaddr+uint64(symOff))
		ent(elf.DT_SYMENT, uint64(symsize))
		if t.GNUHash {
			ent(elf.DT_GNU_HASH, t.Vaddr+uint64(hashOff))
		} else {
			ent(elf.DT_HASH, t.Vaddr+uint64(hashOff))
		}
		for _, e := range t.ExtraDyn {
			ent(elf.DynTag(e[0]), e[1])
		}
		ent(elf.DT_NULL, 0)
		return d.b
	}()
	if t.DynamicRaw != nil {
		dyn = t.DynamicRaw
	}
	if t.NoDynamic {
		dyn = nil
	}
	off += len(dyn)
	shstrOff := off
	shstrtab := []byte("\x00.shstrtab\x00.ARM.attributes\x00")
	attrOff, shOff, nsh := 0, 0, 0
	if t.Sections {
		off += len(shstrtab)
		attrOff = off
		off += len(t.ARMAttrs)
		off = (off + 7) &^ 7
		shOff = off
		nsh = 2
		if t.ARMAttrs != nil {
			nsh = 3
		}
	}

	// ELF header.
	w.b = append(w.b, elf.ELFMAG...)
	w.u8(uint8(t.Class))
	w.u8(uint8(t.Data))
	w.u8(uint8(elf.EV_CURRENT))
	w.u8(uint8(t.OSABI))
	w.b = append(w.b, make([]byte, 8)...)
	w.u16(uint16(t.Type))
	w.u16(uint16(t.Machine))
	w.u32(uint32(elf.EV_CURRENT))
	w.word(t.Vaddr + 0x1000) // e_entry
	w.word(uint64(ehsize))   // e_phoff
	w.word(uint64(shOff))    // e_shoff
	w.u32(t.EFlags)
	w.u16(uint16(ehsize))
	w.u16(uint16(phentsize))
	w.u16(uint16(nph))
	w.u16(uint16(shentsize))
	w.u16(uint16(nsh))
	if nsh > 0 {
		w.u16(1) // e_shstrndx
	} else {
		w.u16(0)
	}

	// Program headers. The file size is only known at the end: the
	// PT_LOAD's sizes are patched then.
	phdr := func(typ elf.ProgType, flags elf.ProgFlag, off, size uint64) {
		w.u32(uint32(typ))
		if is64 {
			w.u32(uint32(flags))
		}
		w.word(off)
		w.word(t.Vaddr + off)
		w.word(t.Vaddr + off)
		w.word(size)
		w.word(size)
		if !is64 {
			w.u32(uint32(flags))
		}
		w.word(8)
	}
	loadAt := len(w.b)
	phdr(elf.PT_LOAD, elf.PF_R|elf.PF_X, 0, 0)
	if t.Interp != "" {
		phdr(elf.PT_INTERP, elf.PF_R, uint64(interpOff), uint64(len(t.Interp)+1))
	}
	if !t.NoDynamic {
		phdr(elf.PT_DYNAMIC, elf.PF_R|elf.PF_W, uint64(dynOff), uint64(len(dyn)))
	}

	w.b = append(append(w.b, t.Interp...), 0)
	w.b = append(w.b, strtab...)
	w.align(8)
	for _, s := range syms {
		shndx := uint16(elf.SHN_UNDEF)
		if s.defined {
			shndx = 7
		}
		w.u32(uint32(s.name))
		if is64 {
			w.u8(0x12) // STB_GLOBAL, STT_FUNC
			w.u8(0)
			w.u16(shndx)
			w.u64(0)
			w.u64(0)
		} else {
			w.u32(0)
			w.u32(0)
			w.u8(0x12)
			w.u8(0)
			w.u16(shndx)
		}
	}
	if t.GNUHash {
		w.u32(1)                           // nbuckets
		w.u32(1)                           // symoffset
		w.u32(1)                           // bloom words
		w.u32(0)                           // bloom shift
		w.word(^uint64(0))                 // the bloom filter
		w.u32(uint32(min(1, len(syms)-1))) // bucket 0: the first symbol, or none
		for i := 1; i < len(syms); i++ {
			v := uint32(i << 1)
			if i == len(syms)-1 {
				v |= 1 // the end of the chain
			}
			w.u32(v)
		}
	} else {
		w.u32(1)                 // nbucket
		w.u32(uint32(len(syms))) // nchain
		w.u32(0)                 // bucket
		for range syms {
			w.u32(0)
		}
	}
	w.align(8)
	w.b = append(w.b, dyn...)
	if t.Sections {
		w.b = append(w.b, shstrtab...)
		w.b = append(w.b, t.ARMAttrs...)
		w.align(8)
		sh := func(name, typ uint32, off, size uint64) {
			w.u32(name)
			w.u32(typ)
			w.word(0) // flags
			w.word(0) // addr
			w.word(off)
			w.word(size)
			w.u32(0) // link
			w.u32(0) // info
			w.word(1)
			w.word(0)
		}
		sh(0, 0, 0, 0)
		sh(1, uint32(elf.SHT_STRTAB), uint64(shstrOff), uint64(len(shstrtab)))
		if t.ARMAttrs != nil {
			sh(11, 0x70000003, uint64(attrOff), uint64(len(t.ARMAttrs)))
		}
	}
	// Patch the PT_LOAD's p_filesz and p_memsz.
	size := uint64(len(w.b))
	if is64 {
		bo.PutUint64(w.b[loadAt+32:], size)
		bo.PutUint64(w.b[loadAt+40:], size)
	} else {
		bo.PutUint32(w.b[loadAt+16:], uint32(size))
		bo.PutUint32(w.b[loadAt+20:], uint32(size))
	}
	return w.b
}

// armAttributes builds an .ARM.attributes section whose file attributes
// name the CPU and give Tag_CPU_arch.
func armAttributes(cpuName string, cpuArch uint8) []byte {
	attrs := append([]byte{5}, cpuName...) // Tag_CPU_name
	attrs = append(attrs, 0, 6, cpuArch)   // Tag_CPU_arch
	attrs = append(attrs, 10, 2)           // Tag_FP_arch (a number)
	file := binary.LittleEndian.AppendUint32([]byte{1}, uint32(5+len(attrs)))
	file = append(file, attrs...)
	sub := binary.LittleEndian.AppendUint32(nil, uint32(4+6+len(file)))
	sub = append(append(sub, "aeabi\x00"...), file...)
	return append([]byte{'A'}, sub...)
}

// scanBytes scans an in-memory file.
func scanBytes(t testing.TB, b []byte, name string) (*File, error) {
	t.Helper()
	return Scan(bytes.NewReader(b), int64(len(b)), name)
}

// TestScanWritten reads files of both classes and byte orders, built by
// writeELF, and checks every field the loader uses.
func TestScanWritten(t *testing.T) {
	for _, class := range []elf.Class{elf.ELFCLASS32, elf.ELFCLASS64} {
		for _, data := range []elf.Data{elf.ELFDATA2LSB, elf.ELFDATA2MSB} {
			for _, gnuHash := range []bool{false, true} {
				for _, sections := range []bool{false, true} {
					name := fmt.Sprintf("%v-%v-gnuhash=%v-sections=%v", class, data, gnuHash, sections)
					t.Run(name, func(t *testing.T) {
						machine := elf.EM_S390
						if data == elf.ELFDATA2LSB {
							machine = elf.EM_RISCV
						}
						spec := testELF{
							Class: class, Data: data, Machine: machine, Type: elf.ET_DYN,
							EFlags:  0x5,
							Interp:  "/lib/ld64.so.1",
							Needed:  []string{"libfoo.so.1", "libbar.so.2", "/abs/libbaz.so"},
							RPath:   strp("$ORIGIN/../lib::/opt/lib"),
							RunPath: strp(""),
							Flags:   uint64(elf.DF_BIND_NOW),
							Flags1:  DF1PIE | DF1NoDefLib,
							Imports: []string{"iconv_open", "dlopen", "iconv_open", "abort"},
							Exports: []string{"main_export"},
							GNUHash: gnuHash, Sections: sections,
						}
						f, err := scanBytes(t, writeELF(spec), "/x/"+name)
						if err != nil {
							t.Fatal(err)
						}
						want := &File{
							Path: "/x/" + name, Class: class, Data: data, Machine: machine, Type: elf.ET_DYN,
							EFlags: 0x5, Kind: KindDynamic, Interp: "/lib/ld64.so.1",
							Needed:   []string{"libfoo.so.1", "libbar.so.2", "/abs/libbaz.so"},
							RPath:    []string{"$ORIGIN/../lib", "", "/opt/lib"},
							RunPath:  []string{""},
							HasRPath: true, HasRunPath: true,
							Flags: elf.DF_BIND_NOW, Flags1: DF1PIE | DF1NoDefLib,
							SectionHeaders: sections,
						}
						if !sameFields(f, want) {
							t.Errorf("got  %+v\nwant %+v", f, want)
						}
						if imports, err := f.Imports(); err != nil || !reflect.DeepEqual(imports, []string{"iconv_open", "dlopen", "abort"}) {
							t.Errorf("Imports: %q, %v", imports, err)
						}
						if exports, err := f.Exports(); err != nil || !reflect.DeepEqual(exports, []string{"main_export"}) {
							t.Errorf("Exports: %q, %v", exports, err)
						}
						if !f.ImportsSymbol("dlopen") || f.ImportsSymbol("main_export") || f.ImportsSymbol("zzz") {
							t.Errorf("ImportsSymbol wrong for %v", f.syms.imports)
						}
						if !f.NoDefLib() {
							t.Error("NoDefLib false")
						}
					})
				}
			}
		}
	}
}

// TestScanLastTagWins: glibc's elf_get_dynamic_info keeps the last entry
// of a repeated tag; DT_NEEDED alone is a list.
func TestScanLastTagWins(t *testing.T) {
	spec := testELF{Soname: "first.so", RunPath: strp("/first"), Needed: []string{"a.so"}}
	b := writeELF(spec)
	f, err := scanBytes(t, b, "x")
	if err != nil {
		t.Fatal(err)
	}
	// Find the strings' offsets by building the same file with the extra
	// tags pointing at the NEEDED string.
	spec.ExtraDyn = [][2]uint64{{uint64(elf.DT_SONAME), 1}, {uint64(elf.DT_RUNPATH), 1}}
	g, err := scanBytes(t, writeELF(spec), "x")
	if err != nil {
		t.Fatal(err)
	}
	if f.Soname != "first.so" || g.Soname != "a.so" || !reflect.DeepEqual(g.RunPath, []string{"a.so"}) {
		t.Errorf("soname %q then %q, runpath %q", f.Soname, g.Soname, g.RunPath)
	}
}

// TestClassify checks every kind on hand-made files.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec testELF
		want Kind
	}{
		{"static", testELF{Type: elf.ET_EXEC, NoDynamic: true}, KindStatic},
		{"static with PT_DYNAMIC", testELF{Type: elf.ET_EXEC}, KindStatic},
		{"non-PIE", testELF{Type: elf.ET_EXEC, Interp: "/lib/ld.so"}, KindDynamic},
		{"PIE", testELF{Interp: "/lib/ld.so", Flags1: DF1PIE}, KindDynamic},
		{"old PIE", testELF{Interp: "/lib/ld.so"}, KindDynamic},
		{"libc.so.6", testELF{Interp: "/lib/ld.so", Soname: "libc.so.6"}, KindShared},
		{"static-pie", testELF{Flags1: DF1PIE}, KindStaticPIE},
		{"static-pie without PT_DYNAMIC", testELF{NoDynamic: true}, KindStaticPIE},
		{"shared", testELF{Soname: "libx.so.1"}, KindShared},
		{"ld.so", testELF{Soname: "ld-linux-x86-64.so.2"}, KindShared},
		{"relocatable", testELF{Type: elf.ET_REL, NoDynamic: true}, KindOther},
		{"core", testELF{Type: elf.ET_CORE, NoDynamic: true}, KindOther},
	} {
		f, err := scanBytes(t, writeELF(tc.spec), tc.name)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if f.Kind != tc.want {
			t.Errorf("%s: kind %v, want %v", tc.name, f.Kind, tc.want)
		}
	}
}

// realFiles compiles the kinds of program gcc makes and returns them with
// their expected kind, plus the host's libc and loader.
func realFiles(t *testing.T) map[string]Kind {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "hello.c")
	if err := os.WriteFile(src, []byte("#include <stdio.h>\n#include <math.h>\nint main(int c, char **v) { printf(\"%f\\n\", sqrt(c)); return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files := map[string]Kind{
		"/lib64/ld-linux-x86-64.so.2":                                                          KindShared,
		"/lib/x86_64-linux-gnu/libc.so.6":                                                      KindShared,
		"/lib/x86_64-linux-gnu/libm.so.6":                                                      KindShared,
		"/usr/bin/curl":                                                                        KindDynamic,
		testenv.BuildC(t, dir, "pie", src, "-lm"):                                              KindDynamic,
		testenv.BuildC(t, dir, "nopie", src, "-no-pie", "-lm"):                                 KindDynamic,
		testenv.BuildC(t, dir, "static", src, "-static", "-lm"):                                KindStatic,
		testenv.BuildC(t, dir, "staticpie", src, "-static-pie", "-lm"):                         KindStaticPIE,
		testenv.BuildC(t, dir, "lib.so", src, "-shared", "-fPIC", "-Wl,-soname,libhello.so.1"): KindShared,
	}
	for p := range files {
		if _, err := os.Stat(p); err != nil {
			testenv.Unavailable(t, "%s: %v", p, err)
		}
	}
	return files
}

// TestClassifyReal checks classify against what gcc, glibc and Debian
// really make.
func TestClassifyReal(t *testing.T) {
	for p, want := range realFiles(t) {
		f, err := Open(HostRoot(), p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if f.Kind != want {
			t.Errorf("%s: kind %v, want %v (type %v, interp %q, soname %q, flags1 %#x)", p, f.Kind, want, f.Type, f.Interp, f.Soname, f.Flags1)
		}
		if !f.SectionHeaders {
			t.Errorf("%s: SectionHeaders false", p)
		}
		if os, arch, variant := f.Platform(); os != "linux" || arch != "amd64" || variant != "" {
			t.Errorf("%s: platform %s/%s/%s", p, os, arch, variant)
		}
	}
}

// stripSectionHeaders zeroes e_shoff, e_shnum and e_shstrndx, as sstrip
// does (it also cuts the table off: the file keeps its size here).
func stripSectionHeaders(b []byte) []byte {
	b = bytes.Clone(b)
	var bo binary.ByteOrder = binary.LittleEndian
	if elf.Data(b[elf.EI_DATA]) == elf.ELFDATA2MSB {
		bo = binary.BigEndian
	}
	if elf.Class(b[elf.EI_CLASS]) == elf.ELFCLASS64 {
		bo.PutUint64(b[40:], 0)
		bo.PutUint16(b[60:], 0)
		bo.PutUint16(b[62:], 0)
	} else {
		bo.PutUint32(b[32:], 0)
		bo.PutUint16(b[48:], 0)
		bo.PutUint16(b[50:], 0)
	}
	return b
}

// TestStrippedSectionHeaders: a file without section headers, or with
// garbage where they should be, reads exactly as the original but for
// SectionHeaders.
func TestStrippedSectionHeaders(t *testing.T) {
	for p := range realFiles(t) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		orig, err := scanBytes(t, b, p)
		if err != nil {
			t.Fatal(err)
		}
		stripped, err := scanBytes(t, stripSectionHeaders(b), p)
		if err != nil {
			t.Errorf("%s stripped: %v", p, err)
			continue
		}
		if stripped.SectionHeaders {
			t.Errorf("%s stripped: SectionHeaders true", p)
		}
		stripped.SectionHeaders = true
		if !sameFile(orig, stripped) {
			t.Errorf("%s stripped differs:\n%+v\n%+v", p, orig, stripped)
		}
		// Section headers that point past the end of the file.
		bad := bytes.Clone(b)
		binary.LittleEndian.PutUint64(bad[40:], uint64(len(b))*3)
		garbled, err := scanBytes(t, bad, p)
		if err != nil {
			t.Errorf("%s with bad e_shoff: %v", p, err)
			continue
		}
		garbled.SectionHeaders = true
		if !sameFile(orig, garbled) {
			t.Errorf("%s with bad e_shoff differs:\n%+v\n%+v", p, orig, garbled)
		}
	}
}

// checkResult fails unless Scan's result is a File or a *FormatError that
// names the file, and not the sign of a recovered panic.
func checkResult(t testing.TB, name string, f *File, err error) {
	t.Helper()
	if err == nil {
		if f == nil || f.Path != name {
			t.Fatalf("%s: no error and file %+v", name, f)
		}
		return
	}
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Path != name || !strings.HasPrefix(err.Error(), "elfscan: "+name+": ") {
		t.Fatalf("%s: error %v (%T) is not a *FormatError naming the file", name, err, err)
	}
	if errors.Is(err, errPanic) {
		t.Fatalf("%s: the scanner panicked: %v", name, err)
	}
	if f != nil {
		t.Fatalf("%s: both a file and an error", name)
	}
}

// TestTruncated cuts real files at many offsets: every result is a File or
// a *FormatError naming the file.
func TestTruncated(t *testing.T) {
	for _, p := range []string{"/usr/bin/curl", "/lib/x86_64-linux-gnu/libc.so.6"} {
		b, err := os.ReadFile(p)
		if err != nil {
			testenv.Unavailable(t, "%s: %v", p, err)
		}
		f, err := scanBytes(t, b, p)
		if err != nil {
			t.Fatal(err)
		}
		// Dense over the headers, then spread over the whole file, and
		// at the section headers (which the loader does not need) and
		// the last byte.
		var offsets []int
		for i := 0; i < 40; i++ {
			offsets = append(offsets, i*5)
		}
		for i := 0; i < 58; i++ {
			offsets = append(offsets, 200+i*(len(b)-200)/58)
		}
		offsets = append(offsets, int(binary.LittleEndian.Uint64(b[40:])), len(b)-1)
		var ok, failed int
		for _, n := range offsets {
			name := fmt.Sprintf("%s@%d", p, n)
			g, err := scanBytes(t, b[:n], name)
			checkResult(t, name, g, err)
			if err != nil {
				failed++
				continue
			}
			ok++
			g.Path = p
			g.SectionHeaders = f.SectionHeaders
			if !sameFile(f, g) {
				t.Errorf("%s: a truncated file read without error but differently", name)
			}
		}
		t.Logf("%s: %d cuts read the same, %d were errors", p, ok, failed)
		if failed == 0 {
			t.Errorf("%s: no cut was an error", p)
		}
	}
}

// TestScanErrors: each kind of damage is a *FormatError that says what is
// wrong.
func TestScanErrors(t *testing.T) {
	good := writeELF(testELF{Interp: "/lib/ld.so", Needed: []string{"libc.so.6"}})
	patch := func(off int, v ...byte) []byte {
		b := bytes.Clone(good)
		copy(b[off:], v)
		return b
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "not an ELF file"},
		{"text", []byte("#!/bin/sh\necho hi\n"), "not an ELF file"},
		{"magic only", []byte("\x7fELF"), "truncated ELF header"},
		{"class 0", append([]byte("\x7fELF"), make([]byte, 60)...), "unknown ELF class 0"},
		{"short header", good[:30], "truncated ELF header"},
		{"class", patch(4, 3), "unknown ELF class 3"},
		{"data", patch(5, 0), "unknown ELF data encoding 0"},
		{"version", patch(6, 2), "unknown ELF version 2"},
		{"e_version", patch(20, 0), "e_version"},
		{"phentsize", patch(54, 55), "program header size is 55"},
		{"phoff", patch(32, 0xff, 0xff, 0xff, 0xff), "program headers at offset"},
		{"PT_INTERP too big", writeELF(testELF{Interp: strings.Repeat("x", 5000)}), "over the limit"},
		{"needed offset", writeELF(testELF{ExtraDyn: [][2]uint64{{uint64(elf.DT_NEEDED), 1 << 20}}}), "outside DT_STRTAB"},
		{"strtab address", writeELF(testELF{Needed: []string{"a"}, ExtraDyn: [][2]uint64{{uint64(elf.DT_STRTAB), 1 << 40}}}), "in no PT_LOAD segment"},
		{"strtab size", writeELF(testELF{Needed: []string{"a"}, ExtraDyn: [][2]uint64{{uint64(elf.DT_STRSZ), 1 << 40}}}), "runs past its PT_LOAD segment"},
		{"syment", writeELF(testELF{Imports: []string{"a"}, ExtraDyn: [][2]uint64{{uint64(elf.DT_SYMENT), 7}}}), "DT_SYMENT is 7"},
	} {
		_, err := scanBytes(t, tc.b, tc.name)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		checkResult(t, tc.name, nil, err)
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not say %q", tc.name, err, tc.want)
		}
	}
	if _, err := scanBytes(t, []byte("hello"), "h"); !errors.Is(err, ErrNotELF) {
		t.Errorf("not ELF: %v", err)
	}
}

// TestHostileStrings: symbols and DT_NEEDED entries that all point into
// one long string must not multiply it into gigabytes.
func TestHostileStrings(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	spec := testELF{Needed: []string{long}}
	// 20000 DT_NEEDED entries at offsets 1, 2, 3…: 20000 × ~1 MiB if copied.
	for i := 0; i < 20000; i++ {
		spec.ExtraDyn = append(spec.ExtraDyn, [2]uint64{uint64(elf.DT_NEEDED), uint64(1 + i)})
	}
	b := writeELF(spec)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := scanBytes(t, b, "hostile")
	runtime.ReadMemStats(&after)
	checkResult(t, "hostile", nil, err)
	if err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Errorf("error %v, want the overlap refused", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
		t.Errorf("scanning a %d-byte file allocated %d MiB", len(b), n>>20)
	}
}

// TestPlatform maps ELF headers to OCI platforms.
func TestPlatform(t *testing.T) {
	for _, tc := range []struct {
		spec                testELF
		arch, variant, osys string
	}{
		{testELF{}, "amd64", "", "linux"},
		{testELF{Class: elf.ELFCLASS32}, "amd64p32", "", "linux"},
		{testELF{Class: elf.ELFCLASS32, Machine: elf.EM_386}, "386", "", "linux"},
		{testELF{Machine: elf.EM_AARCH64}, "arm64", "v8", "linux"},
		{testELF{Class: elf.ELFCLASS32, Machine: elf.EM_ARM, EFlags: 0x05000400}, "arm", "v7", "linux"},
		{testELF{Class: elf.ELFCLASS32, Machine: elf.EM_ARM, EFlags: 0x05000200}, "arm", "", "linux"},
		{testELF{Class: elf.ELFCLASS32, Machine: elf.EM_ARM, EFlags: 0x05000400, Sections: true, ARMAttrs: armAttributes("6KZ", 7)}, "arm", "v6", "linux"},
		{testELF{Class: elf.ELFCLASS32, Machine: elf.EM_ARM, EFlags: 0x05000200, Sections: true, ARMAttrs: armAttributes("5TE", 4)}, "arm", "v5", "linux"},
		{testELF{Class: elf.ELFCLASS32, Machine: elf.EM_ARM, EFlags: 0x05000400, Sections: true, ARMAttrs: armAttributes("7-A", 10)}, "arm", "v7", "linux"},
		{testELF{Class: elf.ELFCLASS32, Machine: elf.EM_ARM, EFlags: 0x05000400, Sections: true, ARMAttrs: armAttributes("8-A", 14)}, "arm", "v8", "linux"},
		{testELF{Machine: elf.EM_PPC64}, "ppc64le", "", "linux"},
		{testELF{Machine: elf.EM_PPC64, Data: elf.ELFDATA2MSB}, "ppc64", "", "linux"},
		{testELF{Machine: elf.EM_S390, Data: elf.ELFDATA2MSB}, "s390x", "", "linux"},
		{testELF{Machine: elf.EM_RISCV}, "riscv64", "", "linux"},
		{testELF{Machine: elf.EM_MIPS}, "mips64le", "", "linux"},
		{testELF{Machine: elf.EM_MIPS, Data: elf.ELFDATA2MSB, Class: elf.ELFCLASS32}, "mips", "", "linux"},
		{testELF{Machine: elf.EM_MIPS, Class: elf.ELFCLASS32}, "mipsle", "", "linux"},
		{testELF{Machine: elf.EM_LOONGARCH}, "loong64", "", "linux"},
		{testELF{OSABI: elf.ELFOSABI_FREEBSD}, "amd64", "", "freebsd"},
		{testELF{Machine: elf.EM_VAX, Class: elf.ELFCLASS32}, "", "", "linux"},
	} {
		f, err := scanBytes(t, writeELF(tc.spec), "p")
		if err != nil {
			t.Fatal(err)
		}
		osys, arch, variant := f.Platform()
		if osys != tc.osys || arch != tc.arch || variant != tc.variant {
			t.Errorf("%v %v %v flags %#x: platform %s/%s/%s, want %s/%s/%s", f.Machine, f.Class, f.Data, f.EFlags, osys, arch, variant, tc.osys, tc.arch, tc.variant)
		}
	}
}

// TestMismatch: the loader of f accepts o, skips it, or stops.
func TestMismatch(t *testing.T) {
	file := func(class elf.Class, data elf.Data, m elf.Machine, flags uint32) *File {
		return &File{Class: class, Data: data, Machine: m, EFlags: flags}
	}
	c64, c32, le, be := elf.ELFCLASS64, elf.ELFCLASS32, elf.ELFDATA2LSB, elf.ELFDATA2MSB
	for _, tc := range []struct {
		name      string
		exe, lib  *File
		ok, fatal bool
	}{
		{"same", file(c64, le, elf.EM_X86_64, 0), file(c64, le, elf.EM_X86_64, 0), true, false},
		{"class", file(c64, le, elf.EM_X86_64, 0), file(c32, le, elf.EM_386, 0), false, false},
		{"machine", file(c64, le, elf.EM_X86_64, 0), file(c64, le, elf.EM_AARCH64, 0), false, false},
		{"data", file(c64, be, elf.EM_PPC64, 0), file(c64, le, elf.EM_PPC64, 0), false, false},
		{"data, machine read the other way", file(c64, le, elf.EM_X86_64, 0), file(c64, be, 0x3e00, 0), false, true},
		{"armhf soft lib", file(c32, le, elf.EM_ARM, 0x05000400), file(c32, le, elf.EM_ARM, 0x05000200), false, true},
		{"armhf no float flag", file(c32, le, elf.EM_ARM, 0x05000400), file(c32, le, elf.EM_ARM, 0x05000000), true, false},
		{"armel hard lib", file(c32, le, elf.EM_ARM, 0x05000200), file(c32, le, elf.EM_ARM, 0x05000400), false, true},
		{"armhf old EABI", file(c32, le, elf.EM_ARM, 0x05000400), file(c32, le, elf.EM_ARM, 0x04000200), true, false},
		{"mips o32 n32", file(c32, le, elf.EM_MIPS, 0), file(c32, le, elf.EM_MIPS, 0x20), false, false},
		{"mips64 nan", file(c64, le, elf.EM_MIPS, 0x400), file(c64, le, elf.EM_MIPS, 0), false, false},
		{"mips fp64", file(c32, le, elf.EM_MIPS, 0), file(c32, le, elf.EM_MIPS, 0x200), false, false},
		{"mips64 ok", file(c64, le, elf.EM_MIPS, 0x400), file(c64, le, elf.EM_MIPS, 0x400), true, false},
		{"riscv double soft", file(c64, le, elf.EM_RISCV, 0x4), file(c64, le, elf.EM_RISCV, 0x0), false, false},
		{"riscv double rvc", file(c64, le, elf.EM_RISCV, 0x4), file(c64, le, elf.EM_RISCV, 0x5), true, false},
		{"ppc64 v2 v1", file(c64, le, elf.EM_PPC64, 2), file(c64, le, elf.EM_PPC64, 1), false, false},
		{"ppc64 v2 unset", file(c64, le, elf.EM_PPC64, 2), file(c64, le, elf.EM_PPC64, 0), true, false},
	} {
		why, fatal := tc.exe.Mismatch(tc.lib)
		if (why == "") != tc.ok || fatal != tc.fatal || tc.exe.Compatible(tc.lib) != tc.ok {
			t.Errorf("%s: mismatch %q fatal %v, want ok %v fatal %v", tc.name, why, fatal, tc.ok, tc.fatal)
		}
	}
}

// TestScanConcurrent: scans share reusable buffers; results must not
// leak between them.
func TestScanConcurrent(t *testing.T) {
	var files [][]byte
	for i := range 12 {
		files = append(files, writeELF(testELF{
			Class: []elf.Class{elf.ELFCLASS32, elf.ELFCLASS64}[i%2], Data: []elf.Data{elf.ELFDATA2LSB, elf.ELFDATA2MSB}[i/2%2],
			Needed:  []string{fmt.Sprintf("lib%d.so", i)},
			Imports: []string{fmt.Sprintf("sym%d_%s", i, strings.Repeat("x", i*1000))},
			GNUHash: i%3 == 0,
		}))
	}
	want := make([]*File, len(files))
	for i, b := range files {
		f, err := scanBytes(t, b, "f")
		if err != nil {
			t.Fatal(err)
		}
		want[i] = f
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 50 {
				i := (g + round) % len(files)
				f, err := Scan(bytes.NewReader(files[i]), int64(len(files[i])), "f")
				if err != nil || !sameFile(f, want[i]) {
					t.Errorf("file %d: %v %+v", i, err, f)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestMismatchAgainstLoader puts libraries the host's loader must refuse
// first in LD_LIBRARY_PATH, as libz.so.1 for curl, and checks that
// Mismatch predicts what glibc does: skip them and search on, or stop.
func TestMismatchAgainstLoader(t *testing.T) {
	const ldso, curl, libz = "/lib64/ld-linux-x86-64.so.2", "/usr/bin/curl", "/lib/x86_64-linux-gnu/libz.so.1"
	for _, p := range []string{ldso, curl, libz} {
		if _, err := os.Stat(p); err != nil {
			testenv.Unavailable(t, "%s: %v", p, err)
		}
	}
	prog, err := Open(HostRoot(), curl)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"i386":              writeELF(testELF{Class: elf.ELFCLASS32, Machine: elf.EM_386, Soname: "libz.so.1"}),
		"arm64":             writeELF(testELF{Machine: elf.EM_AARCH64, Soname: "libz.so.1"}),
		"s390x":             writeELF(testELF{Data: elf.ELFDATA2MSB, Machine: elf.EM_S390, Soname: "libz.so.1"}),
		"ppc64 big-endian":  writeELF(testELF{Data: elf.ELFDATA2MSB, Machine: elf.EM_PPC64, Soname: "libz.so.1"}),
		"x86-64 big-endian": writeELF(testELF{Data: elf.ELFDATA2MSB, Machine: elf.EM_X86_64, Soname: "libz.so.1"}),
		// Big-endian, but its e_machine bytes read little-endian are x86-64's.
		"machine bytes match": writeELF(testELF{Data: elf.ELFDATA2MSB, Machine: 0x3e00, Soname: "libz.so.1"}),
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "libz.so.1"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		lib, err := scanBytes(t, b, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		why, fatal := prog.Mismatch(lib)
		cmd := exec.Command(ldso, curl)
		cmd.Env = []string{"LD_TRACE_LOADED_OBJECTS=1", "LD_LIBRARY_PATH=" + dir}
		out, _ := cmd.CombinedOutput()
		loaderFatal := strings.Contains(string(out), "error while loading shared libraries")
		loaderSkipped := !loaderFatal && strings.Contains(string(out), "libz.so.1 => /lib/")
		switch {
		case why == "":
			t.Errorf("%s: Mismatch accepts it", name)
		case fatal != loaderFatal || !fatal && !loaderSkipped:
			t.Errorf("%s: Mismatch says %q (fatal %v); the loader:\n%s", name, why, fatal, out)
		default:
			t.Logf("%s: %s (fatal %v), as the loader", name, why, fatal)
		}
	}
}

// TestRealArm64 reads programs and libraries of Debian's arm64 port:
// real files of another machine, as a --root sysroot holds them.
func TestRealArm64(t *testing.T) {
	if testing.Short() {
		t.Skip("needs an arm64 sysroot")
	}
	root, err := NewRoot(testenv.Arm64Sysroot(t))
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]Kind{
		"/bin/ls":                                 KindDynamic,
		"/lib/aarch64-linux-gnu/libc.so.6":        KindShared,
		"/lib/ld-linux-aarch64.so.1":              KindShared,
		"/usr/lib/aarch64-linux-gnu/libcurl.so.4": KindShared,
	} {
		f, err := Open(root, p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if osys, arch, variant := f.Platform(); f.Kind != want || osys != "linux" || arch != "arm64" || variant != "v8" {
			t.Errorf("%s: %v, %s/%s/%s", p, f.Kind, osys, arch, variant)
		}
		if f.Machine != elf.EM_AARCH64 || f.Class != elf.ELFCLASS64 || len(f.syms.imports) == 0 && p != "/lib/ld-linux-aarch64.so.1" {
			t.Errorf("%s: %+v", p, f)
		}
		host, err := Open(HostRoot(), "/usr/bin/env")
		if err == nil && host.Compatible(f) {
			t.Errorf("%s: compatible with the host's %s", p, host.Machine)
		}
	}
}

// sameFields reports whether two Files have the same fields, their dynamic
// symbols aside.
func sameFields(a, b *File) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.syms, y.syms = nil, nil
	return reflect.DeepEqual(x, y)
}

// sameFile reports whether two Files have the same fields and imports.
func sameFile(a, b *File) bool {
	if !sameFields(a, b) {
		return false
	}
	if a == nil {
		return true
	}
	ai, aerr := a.Imports()
	bi, berr := b.Imports()
	return reflect.DeepEqual(ai, bi) && (aerr == nil) == (berr == nil)
}
