package ldcache

import (
	"slices"
	"strconv"
	"strings"
)

// Lookup finds the library name in the cache the way glibc's loader does
// (_dl_load_cache_lookup, search_cache in elf/dl-cache.c), for a loader of
// the given ABI on a CPU whose usable glibc-hwcaps subdirectories are
// hwcaps, best first (["x86-64-v3", "x86-64-v2"] for an x86-64-v3 CPU; nil
// for the baseline). It returns the path the loader opens and, when that
// entry comes from a glibc-hwcaps subdirectory, its name.
//
// The search is glibc's, step for step, so that it ends where the loader's
// ends even in a cache that is not sorted as it should be:
//   - a binary search over the entries with _dl_cache_libcmp (runs of
//     digits compare as numbers, so "libfoo.so.01" is "libfoo.so.1");
//   - from the first entry of that name, each entry the ABI accepts is
//     considered in file order. Among glibc-hwcaps entries, the one whose
//     subdirectory comes earliest in hwcaps wins; an entry whose
//     subdirectory is not in hwcaps, or whose x86 ISA level is above the
//     CPU's (taken from hwcaps: level n needs "x86-64-v<n+1>"), is skipped.
//     The first other entry ends the search: it is the answer when no
//     glibc-hwcaps entry was found before it.
//   - in the old format, which has no hwcaps, the last accepted entry
//     wins, or the first with the loader's exact default flags.
//
// Entries with a legacy hwcap mask (tls/, haswell/, i686/… subdirectories)
// are skipped, as glibc 2.37 and later do. Older loaders could use them on
// a CPU with those capabilities.
//
// The caller must still check the file: a loader that finds a file of the
// wrong class or machine through the cache goes on with the default
// directories.
//
// Lookup does not modify the Cache: one Cache may serve many goroutines.
func (c *Cache) Lookup(name string, abi ABI, hwcaps []string) (path, hwcapsName string, ok bool) {
	e := c.search(name, abi, hwcaps)
	if e == nil {
		return "", "", false
	}
	if e.IsHWCapsExtension() {
		hwcapsName = e.HWCapsName
	}
	return e.Path, hwcapsName, true
}

func (c *Cache) search(name string, abi ABI, hwcaps []string) *Entry {
	ents := c.Entries
	wide := c.Format != FormatOld // entries carry hwcap words
	cmp := func(i int) int32 { return libcmp(name, ents[i].Name, abi.UnsignedChar) }
	var (
		best     *Entry
		bestPrio uint32
		prios    []uint32
		havePrio bool
	)
	left, right := 0, len(ents)-1
	for left <= right {
		middle := (left + right) / 2
		r := cmp(middle)
		if r != 0 {
			if r < 0 {
				left = middle + 1
			} else {
				right = middle - 1
			}
			continue
		}
		// Found: go back to the first entry of this name.
		left = middle
		for middle > 0 && cmp(middle-1) == 0 {
			middle--
		}
		for ; middle <= right; middle++ {
			lib := &ents[middle]
			if middle > left && cmp(middle) != 0 {
				break
			}
			if !abi.Accepts(lib.Flags) {
				continue
			}
			named := false
			if wide {
				named = lib.IsHWCapsExtension()
				if named && !isaCompatible(lib.ISALevel(), hwcaps) {
					continue
				}
				if !named && best != nil {
					// glibc-hwcaps entries come first: one was found.
					break
				}
				if !named && lib.HWCap != 0 {
					continue // legacy hwcaps, gone in glibc 2.37
				}
				if named {
					if !havePrio {
						prios, havePrio = c.priorities(hwcaps), true
					}
					var p uint32
					if i := uint32(lib.HWCap); int64(i) < int64(len(prios)) {
						p = prios[i]
					}
					if p == 0 || (best != nil && p >= bestPrio) {
						continue // not usable, or not better
					}
					bestPrio = p
				}
			}
			best = lib
			if !named && lib.Flags == abi.DefaultID {
				break
			}
		}
		break
	}
	return best
}

// priorities gives each glibc-hwcaps name of the cache, by index, its rank in
// the active list (1 is the best) or 0 when it is not active. Like glibc, it
// merges the cache's list, which ldconfig sorts, with the active names
// sorted: a cache whose list is out of order loses matches the same way.
func (c *Cache) priorities(active []string) []uint32 {
	if len(c.HWCaps) == 0 || len(active) == 0 {
		return nil
	}
	type rank struct {
		name string
		prio uint32
	}
	right := make([]rank, len(active))
	for i, n := range active {
		right[i] = rank{n, uint32(i + 1)}
	}
	slices.SortStableFunc(right, func(a, b rank) int { return strings.Compare(a.name, b.name) })
	res := make([]uint32, len(c.HWCaps))
	for l, r := 0, 0; l < len(c.HWCaps) && r < len(right); {
		if !c.hwcapsOK[l] {
			l++ // an unreadable name matches nothing
			continue
		}
		switch strings.Compare(c.HWCaps[l], right[r].name) {
		case 0:
			res[l] = right[r].prio
			l++
			r++
		case -1:
			l++
		default:
			r++
		}
	}
	return res
}

// isaCompatible reports whether a CPU that supports the glibc-hwcaps
// subdirectories in hwcaps has the x86 ISA level an entry needs
// (dl_cache_hwcap_isa_level_compatible): level n is x86-64-v(n+1), and
// level 0, the baseline, every x86-64 CPU has. Only ldconfig for x86 writes
// non-zero levels.
func isaCompatible(level uint32, hwcaps []string) bool {
	return level == 0 || slices.Contains(hwcaps, "x86-64-v"+strconv.FormatUint(uint64(level)+1, 10))
}

// libcmp is glibc's _dl_cache_libcmp: strcmp, except that runs of digits
// compare by value (in int arithmetic, which wraps), and that bytes compare
// as the architecture's char: signed, or unsigned when unsignedChar. Both
// strings end at their first NUL, as C strings do.
func libcmp(a, b string, unsignedChar bool) int32 {
	at := func(s string, i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	ch := func(c byte) int32 {
		if unsignedChar {
			return int32(c)
		}
		return int32(int8(c))
	}
	isDigit := func(c byte) bool { return '0' <= c && c <= '9' }
	i, j := 0, 0
	for at(a, i) != 0 {
		c1, c2 := at(a, i), at(b, j)
		switch {
		case isDigit(c1) && isDigit(c2):
			var v1, v2 int32
			for ; isDigit(at(a, i)); i++ {
				v1 = v1*10 + int32(at(a, i)-'0')
			}
			for ; isDigit(at(b, j)); j++ {
				v2 = v2*10 + int32(at(b, j)-'0')
			}
			if v1 != v2 {
				return v1 - v2
			}
		case isDigit(c1):
			return 1
		case isDigit(c2):
			return -1
		case c1 != c2:
			return ch(c1) - ch(c2)
		default:
			i++
			j++
		}
	}
	return ch(at(a, i)) - ch(at(b, j))
}
