package collector

import (
	"bytes"
	"debug/elf"
	"path"
	"slices"
	"strings"
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
func (c *collection) namedDirs(p string, program bool, want map[string]bool, sought []string) []string {
	prefix := ""
	if program && strings.HasSuffix(path.Dir(p), "/bin") {
		prefix = path.Dir(path.Dir(p))
	}
	needles := soughtNeedles(sought, prefix)
	var out []string
	seen := map[string]bool{}
	segs, buf := c.readOnlyData(p, c.pkgdataBuf)
	c.pkgdataBuf = buf
	for _, data := range segs {
		if needles == nil {
			out = namedIn(data, prefix, want, seen, out)
			continue
		}
		// Each needle found by its rarest byte in a sample of the
		// data: letters a compiler and a linker use everywhere
		// would stop IndexByte at every few bytes.
		var count [256]int
		for _, b := range data[len(data)/2 : min(len(data), len(data)/2+8192)] {
			count[b]++
		}
		for _, n := range needles {
			k := 0
			for j := range n {
				if count[n[j]] < count[n[k]] {
					k = j
				}
			}
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
				// The whole string, as namedIn reads it: strings
				// of more than 4096 bytes are none.
				end := bytes.IndexByte(data[i:], 0)
				if end < 0 {
					end = len(data) - i
				}
				end += i
				off = max(off, end+1+k)
				lo := max(0, i-4097)
				start := lo + bytes.LastIndexByte(data[lo:i], 0) + 1
				if start == lo && lo > 0 {
					continue
				}
				out = namedIn(data[start:end], prefix, want, seen, out)
			}
		}
	}
	slices.Sort(out)
	return out
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

// readOnlyData returns the contents of the file p's loadable segments
// that are not executable, where linkers that separate code (binutils
// since 2.31, lld) put constant strings (.rodata, and .data for tables of
// them): a fraction of a large library. Where no segment is read-only,
// strings share the code's: all loadable segments are returned. A file
// debug/elf cannot read is returned whole.
func (c *collection) readOnlyData(p string, buf []byte) ([][]byte, []byte) {
	if f, err := c.root.Open(p); err == nil {
		defer f.Close()
		if ef, err := elf.NewFile(f); err == nil {
			separate := slices.ContainsFunc(ef.Progs, func(prog *elf.Prog) bool {
				return prog.Type == elf.PT_LOAD && prog.Flags&(elf.PF_X|elf.PF_W) == 0
			})
			var out [][]byte
			var size uint64
			for _, prog := range ef.Progs {
				if prog.Type == elf.PT_LOAD && !(separate && prog.Flags&elf.PF_X != 0) && prog.Filesz > 0 && prog.Filesz <= 256<<20 {
					size += prog.Filesz
				}
			}
			if uint64(cap(buf)) < size {
				buf = make([]byte, size)
			}
			buf = buf[:0]
			for _, prog := range ef.Progs {
				if prog.Type != elf.PT_LOAD || separate && prog.Flags&elf.PF_X != 0 || prog.Filesz == 0 || prog.Filesz > 256<<20 {
					continue
				}
				b := buf[len(buf) : len(buf)+int(prog.Filesz)]
				buf = buf[:len(buf)+int(prog.Filesz)]
				if _, err := f.ReadAt(b, int64(prog.Off)); err != nil {
					out = nil
					break
				}
				out = append(out, b)
			}
			if out != nil {
				return out, buf
			}
		}
	}
	data, err := c.root.ReadFile(p, 256<<20)
	if err != nil {
		return nil, buf
	}
	return [][]byte{data}, buf
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
			if j := bytes.IndexAny(str, ": \t"); j >= 0 {
				f, str = str[:j], str[j+1:]
			} else {
				str = nil
			}
			if len(f) == 0 || bytes.IndexByte(f, '/') < 0 {
				continue
			}
			if f[0] == '/' {
				if want[string(f)] && !seen[string(f)] { // no copy unless found
					seen[string(f)] = true
					out = append(out, string(f))
				}
				continue
			}
			if prefix == "" || f[0] == '.' {
				continue
			}
			if s := path.Join(prefix, string(f)); want[s] && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}
