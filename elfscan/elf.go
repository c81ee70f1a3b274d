package elfscan

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// ErrNotELF is wrapped by the error Open and Scan return for a file that
// does not start with the ELF magic.
var ErrNotELF = errors.New("not an ELF file")

// A FormatError is an ELF file that cannot be read: truncated, corrupt, or
// not ELF at all (Err is then ErrNotELF).
type FormatError struct {
	Path string
	Err  error
}

func (e *FormatError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FormatError) Unwrap() error { return e.Err }

// Limits on what one file may make us read, so that a hostile file cannot
// make the scanner allocate without bound.
const (
	maxInterp   = 4096     // PT_INTERP
	maxDynamic  = 1 << 20  // PT_DYNAMIC
	maxStrtab   = 64 << 20 // DT_STRTAB
	maxSymbols  = 1 << 22  // dynamic symbols
	maxPathList = 4096     // entries of an RPATH/RUNPATH
)

// Open scans the ELF file p inside root.
func Open(root *Root, p string) (*File, error) {
	f, err := root.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &FormatError{Path: p, Err: unwrapPathError(err)}
	}
	return Scan(f, st.Size(), p)
}

// Scan reads the ELF file of the given size from r; name is used in errors
// and as File.Path. Everything the loader uses is read through the program
// headers (PT_INTERP, PT_DYNAMIC, PT_LOAD), as the loader reads it, so files
// without section headers are read the same way as any other.
func Scan(r io.ReaderAt, size int64, name string) (file *File, err error) {
	defer func() {
		// debug/elf has panicked on hostile input before; never let that
		// reach the caller.
		if p := recover(); p != nil {
			file, err = nil, &FormatError{Path: name, Err: fmt.Errorf("corrupt ELF file (%v)", p)}
		}
	}()
	var magic [4]byte
	if n, _ := r.ReadAt(magic[:], 0); n < 4 || string(magic[:]) != elf.ELFMAG {
		return nil, &FormatError{Path: name, Err: ErrNotELF}
	}
	sr := io.NewSectionReader(r, 0, size)
	ef, err := elf.NewFile(sr)
	if err != nil {
		return nil, &FormatError{Path: name, Err: cleanELFError(err)}
	}
	s := &scanner{name: name, r: sr, size: size, ef: ef}
	return s.scan()
}

type scanner struct {
	name string
	r    *io.SectionReader
	size int64
	ef   *elf.File
	bo   binary.ByteOrder
	dyn  map[elf.DynTag][]uint64
}

func (s *scanner) errorf(format string, args ...any) error {
	return &FormatError{Path: s.name, Err: fmt.Errorf(format, args...)}
}

func (s *scanner) scan() (*File, error) {
	ef := s.ef
	s.bo = ef.ByteOrder
	f := &File{
		Path:           s.name,
		Class:          ef.Class,
		Data:           ef.Data,
		Machine:        ef.Machine,
		OSABI:          ef.OSABI,
		Type:           ef.Type,
		SectionHeaders: len(ef.Sections) > 0,
	}
	if err := s.readEFlags(f); err != nil {
		return nil, err
	}
	var dynProg *elf.Prog
	for _, p := range ef.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			b, err := s.readAt(p.Off, p.Filesz, maxInterp, "PT_INTERP")
			if err != nil {
				return nil, err
			}
			f.Interp = string(bytes.TrimRight(b, "\x00"))
			if i := strings.IndexByte(f.Interp, 0); i >= 0 {
				f.Interp = f.Interp[:i]
			}
		case elf.PT_DYNAMIC:
			if dynProg == nil {
				dynProg = p
			}
		}
	}
	if dynProg != nil {
		if err := s.readDynamic(f, dynProg); err != nil {
			return nil, err
		}
	}
	f.Kind = classify(f, dynProg != nil)
	return f, nil
}

func classify(f *File, dynamic bool) Kind {
	switch f.Type {
	case elf.ET_EXEC:
		if f.Interp != "" {
			return KindDynamic
		}
		return KindStatic
	case elf.ET_DYN:
		pie := f.Flags1&DF1PIE != 0
		switch {
		case f.Interp != "" && (pie || f.Soname == ""):
			// A PIE executable. Old linkers did not set DF_1_PIE; a
			// library with PT_INTERP (libc.so.6) has a SONAME.
			return KindDynamic
		case f.Interp == "" && pie:
			return KindStaticPIE
		case f.Interp == "" && !dynamic:
			return KindStaticPIE
		}
		return KindShared
	}
	return KindOther
}

// readEFlags reads e_flags, which debug/elf does not expose.
func (s *scanner) readEFlags(f *File) error {
	off, n := int64(36), 4 // e_flags in Elf32_Ehdr
	if f.Class == elf.ELFCLASS64 {
		off = 48
	}
	var b [4]byte
	if _, err := s.r.ReadAt(b[:n], off); err != nil {
		return s.errorf("reading ELF header: %v", cleanELFError(err))
	}
	f.EFlags = s.bo.Uint32(b[:])
	return nil
}

// readAt reads n bytes at off, refusing more than limit or past the file.
func (s *scanner) readAt(off, n uint64, limit uint64, what string) ([]byte, error) {
	if n > limit {
		return nil, s.errorf("%s is %d bytes, over the limit of %d", what, n, limit)
	}
	if off > uint64(s.size) || n > uint64(s.size)-off {
		return nil, s.errorf("%s at offset %d (%d bytes) is past the end of the file (%d bytes): truncated?", what, off, n, s.size)
	}
	b := make([]byte, n)
	if _, err := s.r.ReadAt(b, int64(off)); err != nil {
		return nil, s.errorf("reading %s: %v", what, cleanELFError(err))
	}
	return b, nil
}

func (s *scanner) readDynamic(f *File, p *elf.Prog) error {
	b, err := s.readAt(p.Off, p.Filesz, maxDynamic, "PT_DYNAMIC")
	if err != nil {
		return err
	}
	s.dyn = map[elf.DynTag][]uint64{}
	wordSize := 4
	if f.Class == elf.ELFCLASS64 {
		wordSize = 8
	}
	word := func(b []byte) uint64 {
		if wordSize == 8 {
			return s.bo.Uint64(b)
		}
		return uint64(s.bo.Uint32(b))
	}
	for len(b) >= 2*wordSize {
		tag, val := elf.DynTag(word(b)), word(b[wordSize:])
		b = b[2*wordSize:]
		if tag == elf.DT_NULL {
			break
		}
		s.dyn[tag] = append(s.dyn[tag], val)
	}
	f.Flags = elf.DynFlag(s.one(elf.DT_FLAGS))
	f.Flags1 = s.one(elf.DT_FLAGS_1)
	if len(s.dyn[elf.DT_NEEDED])+len(s.dyn[elf.DT_SONAME])+len(s.dyn[elf.DT_RPATH])+len(s.dyn[elf.DT_RUNPATH]) == 0 &&
		len(s.dyn[elf.DT_SYMTAB]) == 0 {
		return nil
	}
	strtab, err := s.readVaddr(s.one(elf.DT_STRTAB), s.one(elf.DT_STRSZ), maxStrtab, "DT_STRTAB")
	if err != nil {
		return err
	}
	str := func(tag elf.DynTag, off uint64) (string, error) {
		if off >= uint64(len(strtab)) {
			return "", s.errorf("%v string offset %d is outside DT_STRTAB (%d bytes)", tag, off, len(strtab))
		}
		b := strtab[off:]
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		return string(b), nil
	}
	for _, off := range s.dyn[elf.DT_NEEDED] {
		n, err := str(elf.DT_NEEDED, off)
		if err != nil {
			return err
		}
		f.Needed = append(f.Needed, n)
	}
	if v := s.dyn[elf.DT_SONAME]; len(v) > 0 {
		if f.Soname, err = str(elf.DT_SONAME, v[0]); err != nil {
			return err
		}
	}
	// The loader uses the first DT_RPATH and DT_RUNPATH it meets.
	if v := s.dyn[elf.DT_RPATH]; len(v) > 0 {
		p, err := str(elf.DT_RPATH, v[0])
		if err != nil {
			return err
		}
		f.HasRPath, f.RPath = true, splitPath(p)
	}
	if v := s.dyn[elf.DT_RUNPATH]; len(v) > 0 {
		p, err := str(elf.DT_RUNPATH, v[0])
		if err != nil {
			return err
		}
		f.HasRunPath, f.RunPath = true, splitPath(p)
	}
	imports, err := s.readImports(strtab)
	if err != nil {
		return err
	}
	f.Imports = imports
	return nil
}

// one returns the first value of a dynamic tag, or 0.
func (s *scanner) one(tag elf.DynTag) uint64 {
	if v := s.dyn[tag]; len(v) > 0 {
		return v[0]
	}
	return 0
}

// readVaddr reads n bytes at the virtual address addr, mapped to a file
// offset through the PT_LOAD segment that contains it.
func (s *scanner) readVaddr(addr, n, limit uint64, what string) ([]byte, error) {
	for _, p := range s.ef.Progs {
		if p.Type != elf.PT_LOAD || addr < p.Vaddr || addr-p.Vaddr >= p.Filesz {
			continue
		}
		if n > p.Filesz-(addr-p.Vaddr) {
			return nil, s.errorf("%s at address %#x (%d bytes) runs past its PT_LOAD segment", what, addr, n)
		}
		return s.readAt(p.Off+(addr-p.Vaddr), n, limit, what)
	}
	return nil, s.errorf("%s address %#x is in no PT_LOAD segment", what, addr)
}

// readImports returns the names of the undefined dynamic symbols, read
// through DT_SYMTAB. The symbol count comes from DT_HASH or DT_GNU_HASH, as
// there may be no section header to give it.
func (s *scanner) readImports(strtab []byte) ([]string, error) {
	symtab := s.one(elf.DT_SYMTAB)
	if symtab == 0 {
		return nil, nil
	}
	n, err := s.symbolCount()
	if err != nil || n == 0 {
		return nil, err
	}
	entsize := uint64(16)
	if s.ef.Class == elf.ELFCLASS64 {
		entsize = 24
	}
	if e := s.one(elf.DT_SYMENT); e != 0 && e != entsize {
		return nil, s.errorf("DT_SYMENT is %d, want %d", e, entsize)
	}
	if n > maxSymbols {
		return nil, s.errorf("%d dynamic symbols, over the limit of %d", n, maxSymbols)
	}
	b, err := s.readVaddr(symtab, n*entsize, maxSymbols*24, "DT_SYMTAB")
	if err != nil {
		return nil, err
	}
	var out []string
	for i := uint64(1); i < n; i++ { // symbol 0 is the null symbol
		e := b[i*entsize : (i+1)*entsize]
		var nameOff uint32
		var shndx uint16
		if s.ef.Class == elf.ELFCLASS64 {
			nameOff, shndx = s.bo.Uint32(e[0:4]), s.bo.Uint16(e[6:8])
		} else {
			nameOff, shndx = s.bo.Uint32(e[0:4]), s.bo.Uint16(e[14:16])
		}
		if shndx != uint16(elf.SHN_UNDEF) || nameOff == 0 || uint64(nameOff) >= uint64(len(strtab)) {
			continue
		}
		name := strtab[nameOff:]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if len(name) > 0 {
			out = append(out, string(name))
		}
	}
	sort.Strings(out)
	return compactStrings(out), nil
}

// symbolCount finds the number of dynamic symbols from the hash tables.
func (s *scanner) symbolCount() (uint64, error) {
	if h := s.one(elf.DT_HASH); h != 0 {
		b, err := s.readVaddr(h, 8, 8, "DT_HASH")
		if err != nil {
			return 0, err
		}
		return uint64(s.bo.Uint32(b[4:8])), nil // nchain
	}
	h := s.one(elf.DT_GNU_HASH)
	if h == 0 {
		return 0, nil
	}
	hdr, err := s.readVaddr(h, 16, 16, "DT_GNU_HASH")
	if err != nil {
		return 0, err
	}
	nbuckets, symoffset, bloomSize := uint64(s.bo.Uint32(hdr[0:])), uint64(s.bo.Uint32(hdr[4:])), uint64(s.bo.Uint32(hdr[8:]))
	word := uint64(4)
	if s.ef.Class == elf.ELFCLASS64 {
		word = 8
	}
	if nbuckets > maxSymbols || bloomSize > maxSymbols {
		return 0, s.errorf("DT_GNU_HASH has %d buckets and %d bloom words, over the limit", nbuckets, bloomSize)
	}
	bucketsAddr := h + 16 + bloomSize*word
	bb, err := s.readVaddr(bucketsAddr, nbuckets*4, maxSymbols*4, "DT_GNU_HASH buckets")
	if err != nil {
		return 0, err
	}
	var last uint64
	for i := uint64(0); i < nbuckets; i++ {
		if v := uint64(s.bo.Uint32(bb[i*4:])); v > last {
			last = v
		}
	}
	if last < symoffset {
		return symoffset, nil
	}
	// Walk the chain of the last bucket to its end (low bit set).
	chains := bucketsAddr + nbuckets*4
	for i := last; ; i++ {
		if i-symoffset > maxSymbols {
			return 0, s.errorf("DT_GNU_HASH chain does not end")
		}
		c, err := s.readVaddr(chains+(i-symoffset)*4, 4, 4, "DT_GNU_HASH chain")
		if err != nil {
			return 0, err
		}
		if s.bo.Uint32(c)&1 != 0 {
			return i + 1, nil
		}
	}
}

// splitPath splits an RPATH/RUNPATH on ':' as the loader does. Empty
// elements stay: glibc treats them as the current directory.
func splitPath(p string) []string {
	parts := strings.Split(p, ":")
	if len(parts) > maxPathList {
		parts = parts[:maxPathList]
	}
	return parts
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// cleanELFError turns io.EOF-like errors into words a user understands.
func cleanELFError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("truncated ELF file")
	}
	return err
}
