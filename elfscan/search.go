package elfscan

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// The file-system side of the emulation: what exists where, what each file
// is, each answer computed once per Resolver.

// A fileID names a file as the loaders compare files: device and inode.
type fileID struct{ dev, ino uint64 }

// pathInfo is what a lookup of one path inside the root found.
type pathInfo struct {
	real  string
	links []Link
	err   error // the lookup failed: the file is not there, for the loader
	id    fileID
	mode  fs.FileMode
}

// fileInfo is what one real file is, for the loaders.
type fileInfo struct {
	head    []byte // the first bytes of the file (up to an ELF header's size)
	hdrErr  error  // the file cannot be read at all
	denied  bool   // hdrErr is EACCES from open: the loaders search on
	scanned bool
	file    *File
	scanErr error
}

// elfHeader is the part of the ELF header the loaders check before they
// accept a candidate file.
type elfHeader struct {
	ident     [elf.EI_NIDENT]byte
	typ       elf.Type
	machine   elf.Machine
	version   uint32
	phentsize uint16
}

func (h *elfHeader) class() elf.Class { return elf.Class(h.ident[elf.EI_CLASS]) }
func (h *elfHeader) data() elf.Data   { return elf.Data(h.ident[elf.EI_DATA]) }
func (h *elfHeader) osabi() elf.OSABI { return elf.OSABI(h.ident[elf.EI_OSABI]) }

// lookup resolves p (a clean absolute path inside the root) and stats the
// file it leads to.
func (r *Resolver) lookup(p string) *pathInfo {
	if pi, ok := r.paths[p]; ok {
		return pi
	}
	pi := &pathInfo{}
	real, links, err := r.root.Resolve(p)
	pi.real, pi.links = real, links
	if err == nil {
		// The walk has just asked lstat about real, its last step: the
		// Root remembers the answer.
		n := r.root.lookupNode(real)
		pi.mode, pi.id, err = n.mode, fileID{dev: n.dev, ino: n.ino}, n.err
	}
	pi.err = err
	r.paths[p] = pi
	return pi
}

// dirHas reports whether the directory dir (a clean absolute path) may
// have an entry name: false only when a listing of it says no. Listing
// each directory once is much cheaper than one failed lookup per name and
// directory: the loaders try many directories for each name, and most
// tries fail. A directory that cannot be listed (no read permission) but
// may be searched answers "maybe", and the lookup decides.
func (r *Resolver) dirHas(dir, name string) bool {
	entries, ok := r.dirs[dir]
	if !ok {
		list, err := r.root.ReadDir(dir)
		switch {
		case err == nil:
			entries = make(map[string]bool, len(list))
			for _, e := range list {
				entries[e.Name()] = true
			}
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR):
			entries = map[string]bool{}
		}
		r.dirs[dir] = entries // nil: unknown
	}
	return entries == nil || entries[name]
}

// exists reports whether the loader's open of p would find a file: the
// directory lists the name and the lookup (following symlinks) succeeds.
// raw is the path as the loader builds it; it may hold "..", which the
// lookup walks as the kernel does.
func (r *Resolver) exists(raw string) (*pathInfo, bool) {
	clean := Clean(raw)
	if !strings.Contains(raw, "/..") && clean != "/" {
		// path.Dir and path.Base of a clean path, without copies.
		i := strings.LastIndexByte(clean, '/')
		dir := clean[:max(i, 1)]
		if !r.dirHas(dir, clean[i+1:]) {
			return nil, false
		}
	}
	pi := r.lookup(raw)
	if pi.err != nil {
		return pi, false
	}
	return pi, true
}

// info reads what the file at real path is: its first bytes, which the
// loaders judge a candidate by, and, in the same open, the whole File when
// it is ELF (nearly every candidate is accepted, and one open per file
// is most of the cost of a closure).
func (r *Resolver) info(real string) *fileInfo {
	if fi, ok := r.files[real]; ok {
		return fi
	}
	fi := readInfo(r.root, real, r.symbols())
	r.files[real] = fi
	return fi
}

// prefetch reads the files of many roots at once, on every CPU: they are
// independent, and most of a large batch's time (a whole /usr/bin) is
// scanning files. After the roots it reads, wave by wave, the libraries
// they name as ld.so.cache gives them, where nearly all of them come from.
// Nothing is decided here: the breadth-first walk that follows stays
// sequential, as the loader's is, and finds these files already read.
func (r *Resolver) prefetch(paths []string) {
	if runtime.GOMAXPROCS(0) < 2 || len(paths) < 16 {
		return
	}
	var wave []string
	seen := map[string]bool{}
	add := func(p string) {
		pi := r.lookup(Clean(p))
		if pi.err != nil || seen[pi.real] {
			return
		}
		seen[pi.real] = true
		if _, ok := r.files[pi.real]; !ok {
			wave = append(wave, pi.real)
		}
	}
	// The Root walks the roots' paths on every CPU first (lstat of each
	// program): the lookups below then find them known.
	parallel(len(paths), func(i int) {
		if strings.HasPrefix(paths[i], "/") {
			r.root.Resolve(Clean(paths[i]))
		}
	})
	for _, p := range paths {
		if strings.HasPrefix(p, "/") {
			add(p)
		}
	}
	for depth := 0; depth < 8 && len(wave) > 0; depth++ {
		done := wave
		wave = nil
		r.readAll(done)
		for _, real := range done {
			f := r.files[real].file
			if f == nil || r.flavorOf(f) != FlavorGlibc {
				continue
			}
			cache, err := r.libCacheFor(f, r.glibcLayoutOf(f))
			if err != nil || cache == nil {
				continue
			}
			for _, name := range f.Needed {
				if strings.Contains(name, "/") {
					continue
				}
				if p, _, ok := cache.lookup(name, nil); ok {
					add(p)
				}
			}
		}
	}
}

// readAll reads the fileInfo of every path of reals in parallel.
func (r *Resolver) readAll(reals []string) {
	infos := make([]*fileInfo, len(reals))
	parallel(len(reals), func(i int) { infos[i] = readInfo(r.root, reals[i], r.symbols()) })
	for i, real := range reals {
		r.files[real] = infos[i]
	}
}

// parallel calls fn for 0 ≤ i < n on every CPU, and returns when all
// calls have.
func parallel(n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}

// readInfo reads the fileInfo of real, a resolved path inside root, and
// the dynamic symbols of want if it is ELF.
func readInfo(root *Root, real string, want symbolSet) *fileInfo {
	fi := &fileInfo{}
	fd, size, err := root.openFD(real)
	if err != nil {
		fi.hdrErr = errors.New("cannot read file data: " + errText(err))
		fi.denied = errors.Is(err, unix.EACCES)
		return fi
	}
	defer unix.Close(fd)
	// One read serves the loader's look at the header and the scan.
	sc := getScratch()
	n, err := fdReader(fd).ReadAt(sc.head[:min(int64(len(sc.head)), size)], 0)
	if n == 0 && err != nil && !errors.Is(err, io.EOF) {
		fi.hdrErr = errors.New("cannot read file data: " + errText(err))
	}
	fi.head = bytes.Clone(sc.head[:min(n, 64)])
	s := scannerWithHead(fdReader(fd), size, real, want, sc, n)
	if n < 4 || string(fi.head[:4]) != elf.ELFMAG {
		s.release()
		return fi
	}
	fi.scanned = true
	if fi.file, fi.scanErr = s.run(); fi.file != nil {
		fi.file.syms.open = reopen(root, real)
	}
	return fi
}

// scan reads the whole File of an accepted candidate.
func (r *Resolver) scan(p, real string) (*File, error) {
	fi := r.info(real)
	if !fi.scanned {
		fi.scanned = true
		fi.file, fi.scanErr = openFile(r.root, real, r.symbols())
	}
	return fi.file, fi.scanErr
}

// parseELFHeader reads e_ident, e_type, e_machine, e_version and
// e_phentsize from the first bytes of a file, which the caller has checked
// are at least an ELF header of the loader's class and start with the ELF
// magic; a header of the other class may be shorter (only e_ident counts
// then).
func parseELFHeader(b []byte) elfHeader {
	var h elfHeader
	copy(h.ident[:], b)
	var bo binary.ByteOrder = binary.LittleEndian
	if h.data() == elf.ELFDATA2MSB {
		bo = binary.BigEndian
	}
	phent := 42
	if h.class() == elf.ELFCLASS64 {
		phent = 54
	}
	if len(b) >= phent+2 {
		h.typ = elf.Type(bo.Uint16(b[16:]))
		h.machine = elf.Machine(bo.Uint16(b[18:]))
		h.version = bo.Uint32(b[20:])
		h.phentsize = bo.Uint16(b[phent:])
	}
	return h
}

// ehdrSize is the size of the ELF header of f's class: what a loader for f
// reads first.
func ehdrSize(f *File) int {
	if f.Class == elf.ELFCLASS64 {
		return 64
	}
	return 52
}

// A verdict is what a loader makes of a candidate file.
type verdict int

const (
	accept verdict = iota
	skip           // not for this program: the search goes on
	fail           // the loader stops with an error
)

// glibcVerdict is open_verify in elf/dl-load.c: a file of another class or
// machine is skipped silently, anything else wrong with the header is an
// error that stops the loader.
func glibcVerdict(prog *File, head []byte) (verdict, string) {
	if len(head) < ehdrSize(prog) {
		return fail, "file too short"
	}
	if string(head[:4]) != elf.ELFMAG {
		return fail, "invalid ELF header"
	}
	hdr := parseELFHeader(head)
	h := &hdr
	switch {
	case h.class() != prog.Class:
		return skip, "wrong ELF class: " + h.class().String()
	case h.data() != prog.Data:
		if prog.Data == elf.ELFDATA2MSB {
			return fail, "ELF file data encoding not big-endian"
		}
		return fail, "ELF file data encoding not little-endian"
	case h.ident[elf.EI_VERSION] != byte(elf.EV_CURRENT):
		return fail, "ELF file version ident does not match current one"
	case h.osabi() != elf.ELFOSABI_NONE && h.osabi() != elf.ELFOSABI_LINUX:
		return fail, "ELF file OS ABI invalid"
	case h.ident[elf.EI_ABIVERSION] != 0 && h.osabi() != elf.ELFOSABI_LINUX:
		return fail, "ELF file ABI version invalid"
	case strings.Trim(string(h.ident[elf.EI_PAD:]), "\x00") != "":
		return fail, "nonzero padding in e_ident"
	case h.version != uint32(elf.EV_CURRENT):
		return fail, "ELF file version does not match current one"
	case h.machine != prog.Machine:
		return skip, "wrong machine: " + h.machine.String()
	case h.typ != elf.ET_DYN && h.typ != elf.ET_EXEC:
		return fail, "only ET_DYN and ET_EXEC can be loaded"
	}
	want := uint16(32)
	if prog.Class == elf.ELFCLASS64 {
		want = 56
	}
	if h.phentsize != want {
		return fail, "ELF file's phentsize not the expected size"
	}
	return accept, ""
}

// muslVerdict is map_library in musl's ldso/dynlink.c, which takes the
// first file its search opens and fails if it cannot map it: musl never
// skips a file of another machine to search on.
func muslVerdict(prog *File, head []byte) (verdict, string) {
	if len(head) < ehdrSize(prog) {
		return fail, "Exec format error"
	}
	hdr := parseELFHeader(head)
	h := &hdr
	if h.typ != elf.ET_DYN && h.typ != elf.ET_EXEC || string(head[:4]) != elf.ELFMAG {
		return fail, "Exec format error"
	}
	if h.class() != prog.Class || h.data() != prog.Data || h.machine != prog.Machine {
		return fail, fmt.Sprintf("Exec format error (%s %s %s, not for this program)", h.class(), h.data(), h.machine)
	}
	return accept, ""
}

// errText is an error's text without the path the Root adds.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

// joinDir joins a search directory, as the loader holds it, and a name,
// the way the loader builds the path it opens: trailing slashes of the
// directory collapse to one; an empty directory is the working directory.
func joinDir(dir, name string) string {
	d := strings.TrimRight(dir, "/")
	if d == "" && strings.HasPrefix(dir, "/") {
		return "/" + name
	}
	if d == "" {
		return name
	}
	return d + "/" + name
}
