package elfscan

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrNotELF is wrapped by the error Open and Scan return for a file that
// does not start with the ELF magic.
var ErrNotELF = errors.New("not an ELF file")

// errPanic is wrapped by the error Scan returns when reading a file made the
// scanner panic: a bug, which the fuzz test looks for.
var errPanic = errors.New("internal error reading the ELF file")

// A FormatError is an ELF file that cannot be read: truncated, corrupt, or
// not ELF at all (Err is then ErrNotELF).
type FormatError struct {
	Path string
	Err  error
}

// Error is "elfscan: PATH: reason".
func (e *FormatError) Error() string { return prefix + e.Path + ": " + e.Err.Error() }

// Unwrap returns the reason, for errors.Is.
func (e *FormatError) Unwrap() error { return e.Err }

// Limits on what one file may make us read, so that a hostile file cannot
// make the scanner allocate without bound. Every read is also bounded by
// the file's size, so a limit only matters for a file at least that big.
// Real files stay far below them: the largest DT_STRTAB on a Debian system
// (libLLVM) is a few MiB.
const (
	maxInterp   = 4096     // PT_INTERP (PATH_MAX: the kernel refuses longer)
	maxDynamic  = 1 << 20  // PT_DYNAMIC: 65536 entries of 16 bytes
	maxStrtab   = 64 << 20 // DT_STRTAB
	maxSymbols  = 1 << 22  // dynamic symbols
	maxPathList = 4096     // entries of an RPATH/RUNPATH
	maxARMAttrs = 1 << 16  // .ARM.attributes
	// Strings copied out of DT_STRTAB (names, paths, imports) may total
	// no more than twice its size plus this: overlapping offsets must not
	// turn a small file into gigabytes of strings.
	stringSlack = 1 << 20
)

// Open scans the ELF file p inside root, imports included (see Scan). Its
// Exports are read when first asked for, by opening p again.
func Open(root *Root, p string) (*File, error) {
	return openFile(root, p, wantImports)
}

// openFile scans the ELF file p inside root, reading the symbols of want.
func openFile(root *Root, p string, want symbolSet) (*File, error) {
	fd, size, err := root.openFD(p)
	if err != nil {
		return nil, prefixed(err)
	}
	defer unix.Close(fd)
	f, err := scan(fdReader(fd), size, p, want)
	if err == nil {
		f.syms.open = reopen(root, p)
	}
	return f, err
}

// Scan reads the ELF file of the given size from r; name is used in errors
// and as File.Path. Everything the loader uses is read through the ELF
// header and the program headers (PT_INTERP, PT_DYNAMIC, PT_LOAD), as the
// loader reads it: section headers are never needed, so a file without
// them, or with corrupt ones, reads the same as any other. Every read is
// bounded by the file's size and by the limits above; any error is a
// *FormatError naming the file. A program that the kernel's execve
// refuses — a PT_INTERP shorter than 2 bytes, without its NUL or naming
// "", no program headers or more than 64 KiB of them — is an error too; a
// shared library is not held to those rules, as ld.so, not the kernel,
// loads it.
//
// Scan reads the File's Imports too; its Exports are read from r when
// first asked for, as debug/elf reads sections: r must stay readable
// until then.
func Scan(r io.ReaderAt, size int64, name string) (file *File, err error) {
	f, err := scan(r, size, name, wantImports)
	if err == nil {
		f.syms.open = func() (io.ReaderAt, int64, func(), error) { return r, size, func() {}, nil }
	}
	return f, err
}

// scan is Scan without a way to read the symbols left unread: want says
// which dynamic symbols it reads (the loader's closure needs none).
func scan(r io.ReaderAt, size int64, name string, want symbolSet) (*File, error) {
	s, err := newScanner(r, size, name, want)
	if err != nil {
		return nil, err
	}
	return s.run()
}

// run scans the file and releases the scanner.
func (s *scanner) run() (file *File, err error) {
	defer func() {
		// A panic is a bug, but one hostile file must not take the whole
		// program down with it.
		if p := recover(); p != nil {
			file, err = nil, &FormatError{Path: s.name, Err: fmt.Errorf("%w (%v)", errPanic, p)}
		}
	}()
	defer s.release()
	return s.scan()
}

// newScanner reads the start of the file into a scanner; the caller
// releases it. One read of the file's start serves the headers and, in
// small files, the dynamic symbol and string tables too.
func newScanner(r io.ReaderAt, size int64, name string, want symbolSet) (*scanner, error) {
	sc := getScratch()
	n, err := r.ReadAt(sc.head[:min(int64(len(sc.head)), max(size, 0))], 0)
	s := scannerWithHead(r, size, name, want, sc, n)
	if err != nil && !errors.Is(err, io.EOF) && n < 4 {
		s.release()
		return nil, &FormatError{Path: name, Err: fmt.Errorf("reading ELF header: %w", err)}
	}
	return s, nil
}

// scannerWithHead is a scanner for a file whose first n bytes the caller
// read into sc.head.
func scannerWithHead(r io.ReaderAt, size int64, name string, want symbolSet, sc *scratch, n int) *scanner {
	s := &scanner{name: name, r: r, size: uint64(max(size, 0)), want: want, scratch: sc}
	s.head = sc.head[:n]
	return s
}

// A scratch holds the buffers one scan needs and gives back: a Resolver
// scans hundreds of files, whose tables would otherwise all be garbage.
type scratch struct {
	head   []byte   // the first bytes of the file
	free   [][]byte // buffers for reads past head
	used   [][]byte // the ones lent to the current scan
	offs   []uint32
	names  [][]byte
	needed []uint64
	chunk  []byte // symbolChunk bytes of DT_SYMTAB at a time
	seen   map[string]bool
}

// scratchFree keeps a few scratches between scans. Unlike a sync.Pool it
// is not emptied by every garbage collection, which the allocations of a
// Resolver trigger often.
var scratchFree = make(chan *scratch, 8)

// symbolChunk is how much of DT_SYMTAB is read at a time.
const symbolChunk = 96 << 10 // a multiple of both entry sizes

// headSize is how much of a file's start the first read takes: its
// headers, and a small library's dynamic section and tables. 16 KiB
// copied more than the reads it saved (deps --list over /usr/bin).
const headSize = 4 << 10

// maxKeptBuffer is the largest buffer a scratch keeps.
const maxKeptBuffer = 4 << 20

func getScratch() *scratch {
	select {
	case sc := <-scratchFree:
		return sc
	default:
		return &scratch{head: make([]byte, headSize), seen: map[string]bool{}}
	}
}

// borrow returns a buffer of n bytes that is the scanner's until release.
func (s *scanner) borrow(n uint64) []byte {
	sc := s.scratch
	// Best fit, so that a small table does not take the buffer a string
	// table of libc's size needs next.
	best := -1
	for i, b := range sc.free {
		if uint64(cap(b)) >= n && (best < 0 || cap(b) < cap(sc.free[best])) {
			best = i
		}
	}
	if best >= 0 {
		b := sc.free[best]
		sc.free = slices.Delete(sc.free, best, best+1)
		sc.used = append(sc.used, b)
		return b[:n]
	}
	// Round up, so that the next file's slightly larger table fits too.
	b := make([]byte, n, max(n, 4<<10)*5/4)
	sc.used = append(sc.used, b)
	return b
}

// release gives the scratch back, keeping its buffers unless they are
// large.
func (s *scanner) release() {
	sc := s.scratch
	s.scratch, s.head = nil, nil
	for _, b := range sc.used {
		if cap(b) <= maxKeptBuffer && len(sc.free) < 8 {
			sc.free = append(sc.free, b)
		}
	}
	sc.used = sc.used[:0]
	if cap(sc.offs) > maxKeptBuffer/4 {
		sc.offs = nil
	}
	if cap(sc.names) > maxKeptBuffer/24 {
		sc.names = nil
	}
	if len(sc.seen) > 1<<14 {
		sc.seen = map[string]bool{}
	}
	clear(sc.seen)
	select {
	case scratchFree <- sc:
	default:
	}
}

// A header is the part of the ELF header the scanner uses.
type header struct {
	class      elf.Class
	data       elf.Data
	osabi      elf.OSABI
	typ        elf.Type
	machine    elf.Machine
	phoff      uint64
	shoff      uint64
	flags      uint32
	phentsize  uint16
	phnum      uint16
	shentsize  uint16
	shnum      uint16
	wordSize   uint64
	symEntSize uint64
}

// A prog is a program header.
type prog struct {
	typ    elf.ProgType
	off    uint64
	vaddr  uint64
	filesz uint64
}

type scanner struct {
	name string
	want symbolSet // the dynamic symbols to read
	r    io.ReaderAt
	size uint64
	// head is the start of the file. It and the other buffers of scratch
	// go back to scratchFree when the scan ends: nothing read may outlive
	// the scan without a copy.
	head    []byte
	scratch *scratch
	h       header
	bo      binary.ByteOrder
	progs   []prog
	dyn     dynTags
	// stringBudget is how many more bytes may be copied out of DT_STRTAB.
	stringBudget int
	// strBase and strSize are the file offset and size of DT_STRTAB
	// when it is read a piece at a time.
	strBase, strSize uint64
}

func (s *scanner) errorf(format string, args ...any) error {
	return &FormatError{Path: s.name, Err: fmt.Errorf(format, args...)}
}

func (s *scanner) scan() (*File, error) {
	if err := s.readHeader(); err != nil {
		return nil, err
	}
	h := &s.h
	f := &File{
		Path:    s.name,
		Class:   h.class,
		Data:    h.data,
		Machine: h.machine,
		OSABI:   h.osabi,
		Type:    h.typ,
		EFlags:  h.flags,
		syms:    &symbols{},
	}
	f.SectionHeaders = s.hasSectionHeaders()
	if err := s.readProgs(); err != nil {
		return nil, err
	}
	var dynProg *prog
	var interp bool   // a PT_INTERP seen
	var noExec string // why the kernel's execve would refuse the file
	for i, p := range s.progs {
		switch p.typ {
		case elf.PT_INTERP:
			// The kernel uses the first PT_INTERP.
			if interp {
				continue
			}
			interp = true
			if p.filesz < 2 {
				noExec = fmt.Sprintf("PT_INTERP is %d bytes, too short for a path and its NUL", p.filesz)
				continue
			}
			b, err := s.readAt(p.off, p.filesz, maxInterp, "PT_INTERP")
			if err != nil {
				return nil, err
			}
			if b[len(b)-1] != 0 {
				noExec = "PT_INTERP does not end with a NUL"
			}
			if i := bytes.IndexByte(b, 0); i >= 0 {
				b = b[:i]
			}
			if len(b) == 0 && noExec == "" {
				noExec = "PT_INTERP is an empty path"
			}
			f.Interp = string(b)
		case elf.PT_DYNAMIC:
			// glibc keeps the last PT_DYNAMIC it meets.
			dynProg = &s.progs[i]
		}
	}
	if dynProg != nil {
		if err := s.readDynamic(f, dynProg); err != nil {
			return nil, err
		}
	}
	if f.Machine == elf.EM_ARM && f.SectionHeaders {
		f.armArch = s.readARMArch()
	}
	f.Kind = classify(f, interp, dynProg != nil)
	f.phdrsRefused = s.phdrsNoExec()
	if s.want&wantNotes != 0 && (f.Kind == KindDynamic || f.Kind == KindShared) {
		// A bad note is no reason to refuse the file: it is kept for
		// DlopenNotes to return.
		f.syms.notes, f.syms.notesErr = s.dlopenNotesOfProgs()
		f.syms.have |= wantNotes
	}
	if noExec == "" {
		noExec = f.phdrsRefused
	}
	if noExec != "" && f.Kind != KindShared && f.Kind != KindOther {
		// A program the kernel will not start: no closure can help it.
		// A library is loaded by ld.so, which checks neither.
		return nil, s.errorf("%s: the kernel's execve refuses to run it", noExec)
	}
	return f, nil
}

// maxPhdrBytes is the size of the program header table above which the
// kernel's execve refuses a program (load_elf_phdrs in fs/binfmt_elf.c);
// glibc's loader sets no such limit on libraries.
const maxPhdrBytes = 65536

// phdrsNoExec says why the kernel's load_elf_phdrs would refuse the
// program header table, or "".
func (s *scanner) phdrsNoExec() string {
	h := &s.h
	switch size := uint64(h.phnum) * uint64(h.phentsize); {
	case size == 0:
		return "no program headers"
	case size > maxPhdrBytes:
		return fmt.Sprintf("%d program headers, over the kernel's %d bytes (%d headers)", h.phnum, maxPhdrBytes, maxPhdrBytes/uint64(h.phentsize))
	}
	return ""
}

// classify tells what the kernel and the loader make of f.
//
//	gcc -static          ET_EXEC, no PT_INTERP          static
//	gcc -static-pie      ET_DYN, no PT_INTERP, DF_1_PIE static-pie
//	gcc -no-pie          ET_EXEC, PT_INTERP             dynamic
//	gcc (PIE)            ET_DYN, PT_INTERP, DF_1_PIE    dynamic
//	gcc -shared          ET_DYN, no PT_INTERP           shared
//	libc.so.6            ET_DYN, PT_INTERP, DT_SONAME   shared (it runs, but is a library)
//	ld-linux*.so         ET_DYN, no PT_INTERP, SONAME   shared
func classify(f *File, interp, dynamic bool) Kind {
	switch f.Type {
	case elf.ET_EXEC:
		if interp {
			return KindDynamic
		}
		return KindStatic
	case elf.ET_DYN:
		pie := f.Flags1&DF1PIE != 0
		switch {
		case interp && (pie || f.Soname == ""):
			// A PIE executable. Old linkers did not set DF_1_PIE; a
			// library with PT_INTERP (libc.so.6) has a SONAME.
			return KindDynamic
		case !interp && pie:
			return KindStaticPIE
		case !interp && !dynamic:
			return KindStaticPIE
		}
		return KindShared
	}
	return KindOther
}

// readHeader reads and checks the ELF header, as the kernel and glibc's
// open_verify do for the parts the scanner relies on.
func (s *scanner) readHeader() error {
	b := s.head
	if len(b) < 4 || string(b[:4]) != elf.ELFMAG {
		return &FormatError{Path: s.name, Err: ErrNotELF}
	}
	if len(b) < elf.EI_NIDENT {
		return s.errorf("truncated ELF header (%d of %d bytes)", len(b), elf.EI_NIDENT)
	}
	h := &s.h
	h.class, h.data = elf.Class(b[elf.EI_CLASS]), elf.Data(b[elf.EI_DATA])
	h.osabi = elf.OSABI(b[elf.EI_OSABI])
	var ehsize int
	switch h.class {
	case elf.ELFCLASS32:
		ehsize, h.wordSize, h.symEntSize = 52, 4, 16
	case elf.ELFCLASS64:
		ehsize, h.wordSize, h.symEntSize = 64, 8, 24
	default:
		return s.errorf("unknown ELF class %d", b[elf.EI_CLASS])
	}
	switch h.data {
	case elf.ELFDATA2LSB:
		s.bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		s.bo = binary.BigEndian
	default:
		return s.errorf("unknown ELF data encoding %d", b[elf.EI_DATA])
	}
	if len(b) < ehsize {
		return s.errorf("truncated ELF header (%d of %d bytes)", len(b), ehsize)
	}
	if v := elf.Version(b[elf.EI_VERSION]); v != elf.EV_CURRENT {
		return s.errorf("unknown ELF version %d", v)
	}
	bo := s.bo
	h.typ, h.machine = elf.Type(bo.Uint16(b[16:])), elf.Machine(bo.Uint16(b[18:]))
	if v := bo.Uint32(b[20:]); v != uint32(elf.EV_CURRENT) {
		return s.errorf("unknown ELF version %d in e_version", v)
	}
	var rest []byte // from e_flags on
	if h.class == elf.ELFCLASS64 {
		h.phoff, h.shoff, rest = bo.Uint64(b[32:]), bo.Uint64(b[40:]), b[48:]
	} else {
		h.phoff, h.shoff, rest = uint64(bo.Uint32(b[28:])), uint64(bo.Uint32(b[32:])), b[36:]
	}
	h.flags = bo.Uint32(rest)
	// rest[4:6] is e_ehsize, which no loader checks.
	h.phentsize, h.phnum = bo.Uint16(rest[6:]), bo.Uint16(rest[8:])
	h.shentsize, h.shnum = bo.Uint16(rest[10:]), bo.Uint16(rest[12:])
	return nil
}

// readProgs reads the program header table. Like glibc's loader it takes
// e_phnum as the count (PN_XNUM is not special) and insists on the
// class's e_phentsize.
func (s *scanner) readProgs() error {
	h := &s.h
	if h.phnum == 0 {
		return nil
	}
	entsize := uint64(32)
	if h.class == elf.ELFCLASS64 {
		entsize = 56
	}
	if uint64(h.phentsize) != entsize {
		return s.errorf("program header size is %d, want %d", h.phentsize, entsize)
	}
	b, err := s.readAt(h.phoff, uint64(h.phnum)*entsize, 1<<16*entsize, "program headers")
	if err != nil {
		return err
	}
	s.progs = make([]prog, h.phnum)
	bo := s.bo
	for i := range s.progs {
		e := b[uint64(i)*entsize:]
		p := &s.progs[i]
		p.typ = elf.ProgType(bo.Uint32(e))
		if h.class == elf.ELFCLASS64 {
			p.off, p.vaddr, p.filesz = bo.Uint64(e[8:]), bo.Uint64(e[16:]), bo.Uint64(e[32:])
		} else {
			p.off, p.vaddr, p.filesz = uint64(bo.Uint32(e[4:])), uint64(bo.Uint32(e[8:])), uint64(bo.Uint32(e[16:]))
		}
	}
	return nil
}

// hasSectionHeaders reports whether the header points at a section header
// table that lies inside the file. Nothing the loader needs is read from
// it.
func (s *scanner) hasSectionHeaders() bool {
	h := &s.h
	want := uint64(40)
	if h.class == elf.ELFCLASS64 {
		want = 64
	}
	if h.shoff == 0 || uint64(h.shentsize) != want {
		return false
	}
	n := uint64(h.shnum)
	if n == 0 {
		n = 1 // extended numbering: the count is in section 0
	}
	return h.shoff <= s.size && n*want <= s.size-h.shoff
}

// readAt reads n bytes at off, refusing more than limit or past the file.
// The bytes may be the scanner's own: copy what outlives the scan.
func (s *scanner) readAt(off, n uint64, limit uint64, what string) ([]byte, error) {
	if n > limit {
		return nil, s.errorf("%s is %d bytes, over the limit of %d", what, n, limit)
	}
	if off > s.size || n > s.size-off {
		return nil, s.errorf("%s at offset %d (%d bytes) is past the end of the file (%d bytes): truncated?", what, off, n, s.size)
	}
	if off+n <= uint64(len(s.head)) {
		return s.head[off : off+n], nil
	}
	b := s.borrow(n)
	if m, err := s.r.ReadAt(b, int64(off)); m < len(b) {
		if err == nil || errors.Is(err, io.EOF) {
			err = errors.New("truncated ELF file")
		}
		return nil, s.errorf("reading %s: %v", what, err)
	}
	return b, nil
}

func (s *scanner) readDynamic(f *File, p *prog) error {
	b, err := s.readAt(p.off, p.filesz, maxDynamic, "PT_DYNAMIC")
	if err != nil {
		return err
	}
	s.dyn = dynTags{needed: s.scratch.needed[:0]}
	defer func() { s.scratch.needed = s.dyn.needed[:0] }()
	ws := s.h.wordSize
	word := func(b []byte) uint64 {
		if ws == 8 {
			return s.bo.Uint64(b)
		}
		return uint64(s.bo.Uint32(b))
	}
	for uint64(len(b)) >= 2*ws {
		tag, val := elf.DynTag(word(b)), word(b[ws:])
		b = b[2*ws:]
		if tag == elf.DT_NULL {
			break
		}
		s.dyn.add(tag, val)
	}
	f.Flags = elf.DynFlag(s.one(elf.DT_FLAGS))
	f.Flags1 = s.one(elf.DT_FLAGS_1)
	if d := &s.dyn; len(d.needed) == 0 && !d.has(elf.DT_SONAME) && !d.has(elf.DT_RPATH) && !d.has(elf.DT_RUNPATH) && !d.has(elf.DT_SYMTAB) {
		return nil
	}
	str, strtab, err := s.strings()
	if err != nil {
		return err
	}
	for _, off := range s.dyn.needed {
		n, err := str(elf.DT_NEEDED, off)
		if err != nil {
			return err
		}
		f.Needed = append(f.Needed, n)
	}
	if v, ok := s.last(elf.DT_SONAME); ok {
		if f.Soname, err = str(elf.DT_SONAME, v); err != nil {
			return err
		}
	}
	if v, ok := s.last(elf.DT_RPATH); ok {
		p, err := str(elf.DT_RPATH, v)
		if err != nil {
			return err
		}
		f.HasRPath, f.RPath = true, splitPath(p)
	}
	if v, ok := s.last(elf.DT_RUNPATH); ok {
		p, err := str(elf.DT_RUNPATH, v)
		if err != nil {
			return err
		}
		f.HasRunPath, f.RunPath = true, splitPath(p)
	}
	for _, w := range []symbolSet{wantImports, wantExports} {
		if s.want&w == 0 {
			continue
		}
		names, err := s.readSymbols(strtab, w == wantExports)
		if err != nil {
			return err
		}
		f.syms.set(w, names)
	}
	return nil
}

const errOverlap = "the strings of DT_STRTAB overlap beyond reason (a hostile file?)"

// cstring copies the NUL-terminated string at the start of b, charging it
// to the string budget.
// bigStrtab is the size of a string table above which a scan reads the
// strings it needs one by one, or a few at a time (imports): a few large
// programs have string tables of megabytes, and the loader needs ten
// names of them, the rules a few hundred.
const bigStrtab = 64 << 10

// strings returns a function reading the NUL-terminated string at an
// offset of DT_STRTAB, and the whole table when the scan reads it whole
// (nil when strings are read one by one).
func (s *scanner) strings() (func(elf.DynTag, uint64) (string, error), []byte, error) {
	addr, size := s.one(elf.DT_STRTAB), s.one(elf.DT_STRSZ)
	if s.want&wantExports == 0 && size > bigStrtab {
		base, avail, err := s.segment(addr, "DT_STRTAB")
		if err != nil {
			return nil, nil, err
		}
		if size > avail || size > maxStrtab {
			return nil, nil, s.errorf("DT_STRTAB at address %#x (%d bytes) runs past its PT_LOAD segment or the limit", addr, size)
		}
		s.stringBudget = stringSlack
		if s.want != 0 {
			s.stringBudget += 2 * int(size) // as for a table read whole
		}
		s.strBase, s.strSize = base, size
		return func(tag elf.DynTag, off uint64) (string, error) {
			if off >= size {
				return "", s.errorf("%v string offset %d is outside DT_STRTAB (%d bytes)", tag, off, size)
			}
			b, err := s.readAt(base+off, min(size-off, bigStrtab), bigStrtab, "DT_STRTAB")
			if err != nil {
				return "", err
			}
			return s.cstring(b)
		}, nil, nil
	}
	strtab, err := s.readVaddr(addr, size, maxStrtab, "DT_STRTAB")
	if err != nil {
		return nil, nil, err
	}
	s.stringBudget = 2*len(strtab) + stringSlack
	return func(tag elf.DynTag, off uint64) (string, error) {
		if off >= uint64(len(strtab)) {
			return "", s.errorf("%v string offset %d is outside DT_STRTAB (%d bytes)", tag, off, len(strtab))
		}
		return s.cstring(strtab[off:])
	}, strtab, nil
}

func (s *scanner) cstring(b []byte) (string, error) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	s.stringBudget -= len(b)
	if s.stringBudget < 0 {
		return "", s.errorf(errOverlap)
	}
	return string(b), nil
}

// one returns the value of a dynamic tag, or 0. Like glibc's
// elf_get_dynamic_info (and musl's decode_vec), the last entry of a tag
// wins; only DT_NEEDED is a list.
func (s *scanner) one(tag elf.DynTag) uint64 {
	v, _ := s.last(tag)
	return v
}

func (s *scanner) last(tag elf.DynTag) (uint64, bool) {
	if i := dynSlot(tag); i >= 0 && s.dyn.set[i] {
		return s.dyn.val[i], true
	}
	return 0, false
}

// dynTags are the entries of PT_DYNAMIC the scanner reads: every
// DT_NEEDED, in order, and the last value of the other tags it knows (a
// map of every tag cost more than reading the entries).
type dynTags struct {
	needed []uint64
	val    [dynSlots]uint64
	set    [dynSlots]bool
}

// The tags below dynLow are their own slots; the two the scanner reads
// above them come after.
const (
	dynLow   = elf.DT_FLAGS + 1
	dynSlots = dynLow + 2
)

// dynSlot is tag's slot in dynTags, or -1 for a tag the scanner ignores.
func dynSlot(tag elf.DynTag) int {
	switch {
	case tag >= 0 && tag < dynLow:
		return int(tag)
	case tag == elf.DT_FLAGS_1:
		return int(dynLow)
	case tag == elf.DT_GNU_HASH:
		return int(dynLow) + 1
	}
	return -1
}

func (d *dynTags) add(tag elf.DynTag, val uint64) {
	if tag == elf.DT_NEEDED {
		d.needed = append(d.needed, val)
	} else if i := dynSlot(tag); i >= 0 {
		d.val[i], d.set[i] = val, true
	}
}

func (d *dynTags) has(tag elf.DynTag) bool {
	i := dynSlot(tag)
	return i >= 0 && d.set[i]
}

// segment returns the file range of the PT_LOAD segment that maps the
// virtual address addr: its file offset and how many bytes of it follow.
func (s *scanner) segment(addr uint64, what string) (off, avail uint64, err error) {
	for _, p := range s.progs {
		if p.typ != elf.PT_LOAD || addr < p.vaddr || addr-p.vaddr >= p.filesz {
			continue
		}
		return p.off + (addr - p.vaddr), p.filesz - (addr - p.vaddr), nil
	}
	return 0, 0, s.errorf("%s address %#x is in no PT_LOAD segment", what, addr)
}

// readVaddr reads n bytes at the virtual address addr, mapped to a file
// offset through the PT_LOAD segment that contains it.
func (s *scanner) readVaddr(addr, n, limit uint64, what string) ([]byte, error) {
	off, avail, err := s.segment(addr, what)
	if err != nil {
		return nil, err
	}
	if n > avail {
		return nil, s.errorf("%s at address %#x (%d bytes) runs past its PT_LOAD segment", what, addr, n)
	}
	return s.readAt(off, n, limit, what)
}

// readSymbols returns the names of the undefined dynamic symbols (the
// defined ones if defined is true), read through DT_SYMTAB, each once, in
// the order of the string table (sorting the names themselves would cost
// more than the rest of the scan). The symbol count comes from DT_HASH or
// DT_GNU_HASH, as there may be no section header to give it.
func (s *scanner) readSymbols(strtab []byte, defined bool) ([]string, error) {
	symtab := s.one(elf.DT_SYMTAB)
	if symtab == 0 {
		return nil, nil
	}
	n, err := s.symbolCount()
	if err != nil || n == 0 {
		return nil, err
	}
	entsize := s.h.symEntSize
	if e := s.one(elf.DT_SYMENT); e != 0 && e != entsize {
		return nil, s.errorf("DT_SYMENT is %d, want %d", e, entsize)
	}
	if n > maxSymbols {
		return nil, s.errorf("%d dynamic symbols, over the limit of %d", n, maxSymbols)
	}
	base, avail, err := s.segment(symtab, "DT_SYMTAB")
	if err != nil {
		return nil, err
	}
	if n*entsize > avail || base > s.size || n*entsize > s.size-base {
		return nil, s.errorf("DT_SYMTAB at address %#x (%d symbols) runs past its PT_LOAD segment or the file", symtab, n)
	}
	strSize := uint64(len(strtab))
	if strtab == nil {
		strSize = s.strSize
	}
	// The string offsets of the symbols, each once. The table is read a
	// chunk at a time into one buffer: a large program's is megabytes,
	// which a buffer of its size would fault in page by page.
	sc := s.scratch
	if sc.chunk == nil {
		sc.chunk = make([]byte, symbolChunk)
	}
	offs := sc.offs[:0]
	per := uint64(len(sc.chunk)) / entsize
	for first := uint64(1); first < n; first += per { // symbol 0 is the null symbol
		count := min(per, n-first)
		off, size := base+first*entsize, count*entsize
		var b []byte
		if off+size <= uint64(len(s.head)) {
			b = s.head[off : off+size]
		} else if m, err := s.r.ReadAt(sc.chunk[:size], int64(off)); uint64(m) < size {
			if err == nil || errors.Is(err, io.EOF) {
				err = errors.New("truncated ELF file")
			}
			return nil, s.errorf("reading DT_SYMTAB: %v", err)
		} else {
			b = sc.chunk[:size]
		}
		for e := b; len(e) > 0; e = e[entsize:] {
			nameOff := s.bo.Uint32(e[0:4])
			var shndx uint16
			if s.h.class == elf.ELFCLASS64 {
				shndx = s.bo.Uint16(e[6:8])
			} else {
				shndx = s.bo.Uint16(e[14:16])
			}
			if (shndx == uint16(elf.SHN_UNDEF)) != defined && nameOff != 0 && uint64(nameOff) < strSize {
				offs = append(offs, nameOff)
			}
		}
	}
	slices.Sort(offs)
	offs = slices.Compact(offs)
	sc.offs = offs
	names := sc.names[:0]
	total := 0
	var chunk []byte // strtab from chunkOff on, when it was not read whole
	var chunkOff uint64
	for i, off := range offs {
		var name []byte
		if strtab != nil {
			name = strtab[off:]
		} else {
			if uint64(off) < chunkOff || uint64(off) >= chunkOff+uint64(len(chunk)) {
				if chunk, err = s.strtabChunk(offs[i:], strSize); err != nil {
					return nil, err
				}
				chunkOff = uint64(off)
			}
			name = chunk[uint64(off)-chunkOff:]
		}
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		} else if strtab == nil && uint64(off)+uint64(len(name)) < strSize {
			// The name runs past the chunk: read it alone.
			b, err := s.readAt(s.strBase+uint64(off), min(strSize-uint64(off), bigStrtab), bigStrtab, "DT_STRTAB")
			if err != nil {
				return nil, err
			}
			if name = b; bytes.IndexByte(b, 0) >= 0 {
				name = b[:bytes.IndexByte(b, 0)]
			}
			chunk = nil
		}
		if len(name) == 0 {
			continue
		}
		if s.stringBudget -= len(name); s.stringBudget < 0 {
			return nil, s.errorf(errOverlap)
		}
		total += len(name)
		names = append(names, name)
	}
	// One string holds all the names; the result slices it.
	var all strings.Builder
	all.Grow(total)
	for _, name := range names {
		all.Write(name)
	}
	joined, out := all.String(), make([]string, 0, len(names))
	sc.names = names
	seen := sc.seen // linkers merge equal strings, but need not
	clear(seen)
	pos := 0
	for _, name := range names {
		x := joined[pos : pos+len(name)]
		pos += len(name)
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out, nil
}

// strtabChunk reads the part of a large DT_STRTAB that holds the names
// at the first offsets of offs (sorted), from offs[0] on: names close
// together are read at once, and far apart one read each, so that the few
// hundred names a large program imports do not cost its megabytes of
// exported names.
func (s *scanner) strtabChunk(offs []uint32, size uint64) ([]byte, error) {
	const gap, maxChunk = 4 << 10, 256 << 10
	start, end := uint64(offs[0]), uint64(offs[0])
	for _, o := range offs[1:] {
		if uint64(o) > end+gap || uint64(o)-start >= maxChunk {
			break
		}
		end = uint64(o)
	}
	// Room for the last name: one longer than that is read alone.
	end = min(end+256, size)
	return s.readAt(s.strBase+start, end-start, maxChunk+256, "DT_STRTAB")
}

// symbolCount finds the number of dynamic symbols from the hash tables.
// (DT_GNU_HASH's symoffset is no bound on the undefined ones: GNU ld
// hashes a weak undefined __cxa_finalize.)
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
	if nbuckets > maxSymbols || bloomSize > maxSymbols {
		return 0, s.errorf("DT_GNU_HASH has %d buckets and %d bloom words, over the limit", nbuckets, bloomSize)
	}
	bucketsAddr := h + 16 + bloomSize*s.h.wordSize
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
	// Walk the chain of the last bucket to its end (low bit set), reading
	// the chain array in blocks rather than a word at a time.
	off, avail, err := s.segment(bucketsAddr+nbuckets*4+(last-symoffset)*4, "DT_GNU_HASH chain")
	if err != nil {
		return 0, err
	}
	avail = min(avail, (maxSymbols-min(last, maxSymbols))*4)
	const block = 4096
	for i := last; avail >= 4; {
		n := min(avail, block) &^ 3
		c, err := s.readAt(off, n, block, "DT_GNU_HASH chain")
		if err != nil {
			return 0, err
		}
		for j := uint64(0); j < n; j, i = j+4, i+1 {
			if s.bo.Uint32(c[j:])&1 != 0 {
				return i + 1, nil
			}
		}
		off, avail = off+n, avail-n
	}
	return 0, s.errorf("DT_GNU_HASH chain does not end")
}

// readARMArch returns Tag_CPU_arch from the .ARM.attributes section (0 if
// absent): the architecture version an ARM file was built for, which
// e_flags do not give. Section headers are optional, so callers must cope
// with 0.
func (s *scanner) readARMArch() uint8 {
	h := &s.h
	const shtARMAttributes = 0x70000003
	n := uint64(h.shnum)
	if n == 0 || n > 1<<16 {
		return 0
	}
	tab, err := s.readAt(h.shoff, n*uint64(h.shentsize), 1<<16*64, "section headers")
	if err != nil {
		return 0
	}
	for i := uint64(0); i < n; i++ {
		e := tab[i*uint64(h.shentsize):]
		if s.bo.Uint32(e[4:]) != shtARMAttributes {
			continue
		}
		// ELF32 only: ARM is a 32-bit architecture.
		off, size := uint64(s.bo.Uint32(e[16:])), uint64(s.bo.Uint32(e[20:]))
		b, err := s.readAt(off, size, maxARMAttrs, ".ARM.attributes")
		if err != nil {
			return 0
		}
		return armCPUArch(b, s.bo)
	}
	return 0
}

// armCPUArch finds Tag_CPU_arch in the "aeabi" file attributes of an
// .ARM.attributes section (ARM IHI 0045, "Build Attributes").
func armCPUArch(b []byte, bo binary.ByteOrder) uint8 {
	if len(b) < 1 || b[0] != 'A' {
		return 0
	}
	b = b[1:]
	for len(b) >= 4 {
		n := uint64(bo.Uint32(b))
		if n < 4 || n > uint64(len(b)) {
			return 0
		}
		sub := b[4:n]
		b = b[n:]
		vendor, rest, ok := bytes.Cut(sub, []byte{0})
		if !ok || string(vendor) != "aeabi" {
			continue
		}
		// Sub-subsections: tag (1 = the whole file), size, attributes.
		for len(rest) >= 5 {
			tag, size := rest[0], uint64(bo.Uint32(rest[1:]))
			if size < 5 || size > uint64(len(rest)) {
				return 0
			}
			attrs := rest[5:size]
			rest = rest[size:]
			if tag != 1 {
				continue
			}
			for len(attrs) > 0 {
				t, m := uleb128(attrs)
				if m == 0 {
					return 0
				}
				attrs = attrs[m:]
				switch {
				case t == 6: // Tag_CPU_arch
					v, m := uleb128(attrs)
					if m == 0 || v > 255 {
						return 0
					}
					return uint8(v)
				case t == 4 || t == 5 || t == 67 || (t > 32 && t%2 == 1): // strings
					i := bytes.IndexByte(attrs, 0)
					if i < 0 {
						return 0
					}
					attrs = attrs[i+1:]
				case t == 32: // Tag_compatibility: a number and a string
					_, m := uleb128(attrs)
					if m == 0 {
						return 0
					}
					i := bytes.IndexByte(attrs[m:], 0)
					if i < 0 {
						return 0
					}
					attrs = attrs[m+i+1:]
				default: // numbers
					_, m := uleb128(attrs)
					if m == 0 {
						return 0
					}
					attrs = attrs[m:]
				}
			}
		}
	}
	return 0
}

// uleb128 decodes an unsigned LEB128 number, returning it and its length
// (0 when b holds none).
func uleb128(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}

// splitPath splits an RPATH/RUNPATH on ':' as the loader does. Empty
// elements stay: glibc treats them as the current directory.
func splitPath(p string) []string {
	parts := strings.SplitN(p, ":", maxPathList+1)
	if len(parts) > maxPathList {
		parts = parts[:maxPathList]
	}
	return parts
}
