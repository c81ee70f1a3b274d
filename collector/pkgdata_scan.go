package collector

import (
	"bytes"
	"debug/elf"
	"golang.org/x/sys/unix"
	"math"
	"os"
	"path"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// namedDirs returns the paths among want that the file p names as
// strings: each NUL-terminated string that is a path, or a list of them
// separated by colons or blanks, absolute; a relative one with a slash
// (share/x) is taken from the prefix of a program (/usr for /usr/bin/git),
// as programs built relocatable find their data. Paths only: whether
// each is a directory is the caller's to find. Only the paths of sought
// are sure to be found (the others of want may be): the strings that
// may name one hold its last element, so only those are read where
// there are a few to search for.
func (c *collection) namedDirs(p string, program bool, want map[string]bool, sought []string, buf *[]byte) []string {
	prefix := ""
	if program && strings.HasSuffix(path.Dir(p), "/bin") {
		prefix = path.Dir(path.Dir(p))
	}
	needles := soughtNeedles(sought, prefix)
	var out []string
	seen := map[string]bool{}
	segs, b, release := c.readOnlyData(p, *buf)
	*buf = b
	defer release()
	for _, data := range segs {
		if needles == nil {
			out = namedIn(data, prefix, want, seen, out)
			continue
		}
		out = searchNamed(data, needles, prefix, want, seen, out)
	}
	slices.Sort(out)
	return out
}

// A namedScan is one object for rulePackageData to read: the paths of
// want it names (namedDirs) are found, then applied.
type namedScan struct {
	path    string
	program bool
	want    map[string]bool
	sought  []string
	found   []string
	apply   func(found []string) error
}

// scanNamed finds what each object of scans names, on every core: the
// reading and searching of large objects is most of the rule's time.
func (c *collection) scanNamed(scans []*namedScan) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(scans)) {
		wg.Go(func() {
			// A mapped file that shrinks faults: what it names is
			// then unknown, as of a file that cannot be read.
			debug.SetPanicOnFault(true)
			var buf []byte // each worker's, reused
			for {
				i := int(next.Add(1)) - 1
				if i >= len(scans) {
					return
				}
				s := scans[i]
				func() {
					defer func() {
						if r := recover(); r != nil {
							if _, fault := r.(interface{ Addr() uintptr }); !fault {
								panic(r)
							}
							s.found = nil
						}
					}()
					s.found = c.namedDirs(s.path, s.program, s.want, s.sought, &buf)
				}()
			}
		})
	}
	wg.Wait()
}

// soughtNeedles returns strings that every string naming one of the
// paths sought holds, few enough to search for one by one; nil where
// all strings must be read instead. An absolute path is itself, and
// holds any sought directory above it. A relative one is taken from the
// prefix by path.Join, whose elements past those it shares with the
// prefix come from the string, whole, however it is written: the
// path's last element, or its first one that is not the prefix's.
func soughtNeedles(sought []string, prefix string) [][]byte {
	const most = 8
	var out [][]byte
	for _, d := range sought {
		n := d
		if prefix == "" {
			// The topmost sought directory above d (sought is sorted).
			for a := path.Dir(d); a != "/" && a != "."; a = path.Dir(a) {
				if _, found := slices.BinarySearch(sought, a); found {
					n = a
				}
			}
		} else {
			elems := strings.Split(strings.TrimPrefix(d, "/"), "/")
			k := len(sharedElems(d, prefix))
			switch {
			case k >= len(elems) || elems[k] == "":
				return nil // d is the prefix or above it
			case len(sought) <= most:
				n = elems[len(elems)-1]
			default:
				n = elems[k]
			}
		}
		if !slices.ContainsFunc(out, func(b []byte) bool { return string(b) == n }) {
			out = append(out, []byte(n))
		}
		if len(out) > most {
			return nil
		}
	}
	return out
}

// sharedElems returns the leading elements the clean absolute paths a
// and b share.
func sharedElems(a, b string) []string {
	ea, eb := strings.Split(strings.TrimPrefix(a, "/"), "/"), strings.Split(strings.TrimPrefix(b, "/"), "/")
	k := 0
	for k < len(ea) && k < len(eb) && ea[k] == eb[k] {
		k++
	}
	return ea[:k]
}

// readOnlyData returns the parts of the file p where constant strings
// are: the sections that are loaded and neither code nor tables of
// another kind (stringSection), where the file has section headers;
// else its loadable segments that are not executable, where linkers that
// separate code (binutils since 2.31, lld) put .rodata, or all loadable
// segments where none is read-only. A large library has most of its bytes
// elsewhere: code, unwind tables, Go's pclntab. A file debug/elf cannot
// read is returned whole. The parts are read into buf, or mapped where
// they are large (no copy of a 50 MB program); release unmaps them.
func (c *collection) readOnlyData(p string, buf []byte) (segs [][]byte, _ []byte, release func()) {
	release = func() {}
	if f, err := c.root.Open(p); err == nil {
		defer f.Close()
		if ef, err := elf.NewFile(f); err == nil {
			parts := stringParts(ef)
			var out [][]byte
			var size uint64
			for _, pt := range parts {
				size += pt.size
			}
			if size >= 1<<20 {
				if out, unmap := mapParts(f, parts); out != nil {
					return out, buf, unmap
				}
			}
			if uint64(cap(buf)) < size {
				buf = make([]byte, size)
			}
			buf = buf[:0]
			for _, pt := range parts {
				b := buf[len(buf) : len(buf)+int(pt.size)]
				buf = buf[:len(buf)+int(pt.size)]
				if _, err := f.ReadAt(b, int64(pt.off)); err != nil {
					out = nil
					break
				}
				out = append(out, b)
			}
			if out != nil || len(parts) == 0 {
				return out, buf, release
			}
		}
	}
	data, err := c.root.ReadFile(p, 256<<20)
	if err != nil {
		return nil, buf, release
	}
	return [][]byte{data}, buf, release
}

// A part is a span of a file that readOnlyData reads.
type part struct{ off, size uint64 }

// maxPart is the largest part read: one larger is not a compiler's.
const maxPart = 256 << 20

// stringParts are the spans of ef that readOnlyData reads.
func stringParts(ef *elf.File) []part {
	var out []part
	for _, s := range ef.Sections {
		if stringSection(s) && s.Size > 0 && s.Size <= maxPart {
			out = append(out, part{s.Offset, s.Size})
		}
	}
	if out != nil {
		return out
	}
	separate := slices.ContainsFunc(ef.Progs, func(prog *elf.Prog) bool {
		return prog.Type == elf.PT_LOAD && prog.Flags&(elf.PF_X|elf.PF_W) == 0
	})
	for _, prog := range ef.Progs {
		if prog.Type == elf.PT_LOAD && !(separate && prog.Flags&elf.PF_X != 0) && prog.Filesz > 0 && prog.Filesz <= maxPart {
			out = append(out, part{prog.Off, prog.Filesz})
		}
	}
	return out
}

// stringSection reports whether the section s may hold the strings a
// program names its directories with: loaded, not code, with contents
// (.rodata, .data, .dynstr, .data.rel.ro's tables, Go's .noptrdata),
// and none of the tables that hold only numbers or source file names.
func stringSection(s *elf.Section) bool {
	if s.Flags&elf.SHF_ALLOC == 0 || s.Flags&elf.SHF_EXECINSTR != 0 {
		return false
	}
	if s.Type != elf.SHT_PROGBITS && s.Type != elf.SHT_STRTAB {
		return false
	}
	switch s.Name {
	case ".eh_frame", ".eh_frame_hdr", ".gcc_except_table", ".gopclntab", ".got", ".got.plt":
		return false
	}
	return true
}

// mapParts maps the span of f that holds parts, read-only, and returns
// them; nil where a part is past the end of the file or the mapping
// fails. The caller's goroutine must recover from a fault (scanNamed
// does): the file may shrink while it is mapped.
func mapParts(f *os.File, parts []part) ([][]byte, func()) {
	st, err := f.Stat()
	if err != nil {
		return nil, nil
	}
	lo, hi := uint64(math.MaxUint64), uint64(0)
	for _, pt := range parts {
		if pt.off+pt.size > uint64(st.Size()) || pt.off+pt.size < pt.off {
			return nil, nil
		}
		lo, hi = min(lo, pt.off), max(hi, pt.off+pt.size)
	}
	if hi == 0 {
		return nil, nil
	}
	lo &^= uint64(os.Getpagesize() - 1)
	m, err := unix.Mmap(int(f.Fd()), int64(lo), int(hi-lo), unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		return nil, nil
	}
	var out [][]byte
	for _, pt := range parts {
		out = append(out, m[pt.off-lo:pt.off-lo+pt.size])
	}
	return out, func() { unix.Munmap(m) }
}

// namedIn appends to out the paths of want that data names (namedDirs).
func namedIn(data []byte, prefix string, want, seen map[string]bool, out []string) []string {
	// Each string with a slash, once: from the NUL before its first
	// slash to the NUL after it.
	for off := 0; off < len(data); {
		i := bytes.IndexByte(data[off:], '/')
		if i < 0 {
			break
		}
		i += off
		start := off + bytes.LastIndexByte(data[off:i], 0) + 1
		end := bytes.IndexByte(data[i:], 0)
		if end < 0 {
			end = len(data) - i
		}
		end += i
		off = end + 1
		if end-start < 4 || end-start > 4096 {
			continue
		}
		for str := data[start:end]; len(str) > 0; {
			f := str
			if j := bytes.IndexAny(str, fieldSeparators); j >= 0 {
				f, str = str[:j], str[j+1:]
			} else {
				str = nil
			}
			out = namedField(f, prefix, want, seen, out)
		}
	}
	return out
}

// searchNamed appends to out the paths of want that strings of data
// holding one of the needles name (namedDirs): of such a string, the
// field that holds the needle, as namedIn splits it.
func searchNamed(data []byte, needles [][]byte, prefix string, want, seen map[string]bool, out []string) []string {
	// Each needle found by its rarest byte in a sample of the data:
	// letters a compiler and a linker use everywhere would stop
	// IndexByte at every few bytes.
	var count [256]int
	for c := range 16 {
		at := len(data) / 16 * c
		for _, b := range data[at:min(len(data), at+1024)] {
			count[b]++
		}
	}
	for _, n := range needles {
		k := 0
		for j := range n {
			if count[n[j]] < count[n[k]] {
				k = j
			}
		}
		// A needle with a separator in it: the whole string.
		whole := bytes.ContainsAny(n, fieldSeparators)
		for off := k; off < len(data); {
			j := bytes.IndexByte(data[off:], n[k])
			if j < 0 {
				break
			}
			i := off + j - k
			off += j + 1
			if !bytes.HasPrefix(data[i:], n) {
				continue
			}
			end := bytes.IndexByte(data[i:], 0)
			if end < 0 {
				end = len(data) - i
			}
			end += i
			// The string, as namedIn reads it: one of more than
			// 4096 bytes is none (looked for back that far only).
			lo := max(0, i-4097)
			start := lo + bytes.LastIndexByte(data[lo:i], 0) + 1
			if start == lo && lo > 0 || end-start < 4 || end-start > 4096 {
				off = max(off, end+1+k)
				continue
			}
			if whole {
				out = namedIn(data[start:end], prefix, want, seen, out)
				off = max(off, end+1+k)
				continue
			}
			fs := start + bytes.LastIndexAny(data[start:i], fieldSeparators) + 1
			fe := end
			if e := bytes.IndexAny(data[i+len(n):end], fieldSeparators); e >= 0 {
				fe = i + len(n) + e
			}
			out = namedField(data[fs:fe], prefix, want, seen, out)
			off = max(off, fe+1+k)
		}
	}
	return out
}

// fieldSeparators separate the directories of a search path ("a:b", "a b").
const fieldSeparators = ": \t"

// namedField appends to out the path of want that the field f of a
// string names, if any (namedIn).
func namedField(f []byte, prefix string, want, seen map[string]bool, out []string) []string {
	if len(f) == 0 || bytes.IndexByte(f, '/') < 0 {
		return out
	}
	if f[0] == '/' {
		if want[string(f)] && !seen[string(f)] { // no copy unless found
			seen[string(f)] = true
			out = append(out, string(f))
		}
		return out
	}
	if prefix == "" || f[0] == '.' {
		return out
	}
	if cleanRelative(f) {
		// path.Join would only join: no string made for the look-up.
		var buf [256]byte
		joined := append(append(append(buf[:0], strings.TrimSuffix(prefix, "/")...), '/'), f...)
		if !want[string(joined)] || seen[string(joined)] {
			return out
		}
	}
	if s := path.Join(prefix, string(f)); want[s] && !seen[s] {
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// cleanRelative reports whether the relative path f is as path.Clean
// writes it: no empty, "." or ".." element.
func cleanRelative(f []byte) bool {
	for len(f) > 0 {
		elem := f
		if i := bytes.IndexByte(f, '/'); i >= 0 {
			elem, f = f[:i], f[i+1:]
			if len(f) == 0 {
				return false // a trailing slash
			}
		} else {
			f = nil
		}
		if len(elem) == 0 || elem[0] == '.' && (len(elem) == 1 || len(elem) == 2 && elem[1] == '.') {
			return false
		}
	}
	return true
}
