package elfscan

import (
	"debug/elf"
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan/ldcache"
)

// The loader's step 4: /etc/ld.so.cache of the root, or (WithLdSoConf) the
// directories of its ld.so.conf as a cache ldconfig would build from them.

// libCache answers glibc's cache lookups for one program's ABI.
type libCache interface {
	// lookup returns the path the cache gives for name on a CPU with the
	// glibc-hwcaps levels hwcaps (best first), and the level of the entry
	// ("" for none).
	lookup(name string, hwcaps []string) (path, level string, ok bool)
}

type libCacheEntry struct {
	c   libCache
	err error
}

// libCacheFor returns the cache of the root for programs like prog, read
// once per Resolver and ABI; nil if the root has none.
func (r *Resolver) libCacheFor(prog *File, layout *glibcLayout) (libCache, error) {
	key := abiKey{prog.Class, prog.Data, prog.Machine, prog.EFlags}
	if e, ok := r.caches[key]; ok {
		return e.c, e.err
	}
	e := &libCacheEntry{}
	if r.ldSoConf {
		e.c, e.err = r.confCache(prog, layout)
	} else {
		e.c, e.err = r.fileCache(prog)
	}
	r.caches[key] = e
	return e.c, e.err
}

// abiKey tells apart the programs that may read another cache.
type abiKey struct {
	class   elf.Class
	data    elf.Data
	machine elf.Machine
	flags   uint32
}

// rootFS reads files inside the Root for package ldcache.
type rootFS struct{ root *Root }

func (f rootFS) ReadFile(name string) ([]byte, error) { return f.root.ReadFile(name, 64<<20) }

func (f rootFS) ReadDir(name string) ([]fs.DirEntry, error) { return f.root.ReadDir(name) }

// fileCache is the root's /etc/ld.so.cache. The loader ignores a cache it
// cannot use (missing, corrupt, of the other byte order), and so does the
// emulation: the default directories remain.
func (r *Resolver) fileCache(prog *File) (libCache, error) {
	abi, ok := ldcache.ABIFor(prog.Machine, prog.Class, prog.EFlags)
	if !ok {
		return nil, nil
	}
	c, err := ldcache.Load(rootFS{r.root}, "/etc/ld.so.cache")
	if err != nil || !c.MatchesData(prog.Data) {
		return nil, nil
	}
	return &fileCache{c: c, abi: abi, memo: map[string]cacheHit{}}, nil
}

type fileCache struct {
	c   *ldcache.Cache
	abi ldcache.ABI
	// memo are the answers without hwcaps levels (the default), by
	// name: the programs of a batch ask for libc.so.6 hundreds of times.
	// The Resolver's lock guards it.
	memo map[string]cacheHit
}

type cacheHit struct {
	path, level string
	ok          bool
}

func (c *fileCache) lookup(name string, hwcaps []string) (string, string, bool) {
	if len(hwcaps) > 0 {
		return c.c.Lookup(name, c.abi, hwcaps)
	}
	h, ok := c.memo[name]
	if !ok {
		h.path, h.level, h.ok = c.c.Lookup(name, c.abi, nil)
		c.memo[name] = h
	}
	return h.path, h.level, h.ok
}

// confCache emulates the cache ldconfig would write from the root's
// ld.so.conf: ldconfig scans the directories it lists, then its own, and
// records each shared library under its SONAME; the loader's
// lookup then finds the first directory that has the name, preferring the
// glibc-hwcaps subdirectories the CPU supports.
func (r *Resolver) confCache(prog *File, layout *glibcLayout) (libCache, error) {
	dirs, err := ldcache.ParseConf(rootFS{r.root}, "/etc/ld.so.conf")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	// ldconfig drops directories that do not exist and repeats of one
	// directory (through symlinks).
	var out []string
	seen := map[string]bool{}
	// ldconfig adds its own two directories (slibdir and libdir: the first
	// two default ones) after those of the file.
	for _, d := range append(dirs, layout.dirs[:2]...) {
		pi := r.lookup(Clean(d))
		if pi.err != nil || !pi.mode.IsDir() || seen[pi.real] {
			continue
		}
		seen[pi.real] = true
		out = append(out, Clean(d))
	}
	return &confCache{r: r, prog: prog, dirs: out}, nil
}

type confCache struct {
	r    *Resolver
	prog *File
	dirs []string
}

func (c *confCache) lookup(name string, hwcaps []string) (string, string, bool) {
	// ldconfig only looks at files named like libraries.
	if !(strings.HasPrefix(name, "lib") || strings.HasPrefix(name, "ld-")) || !strings.Contains(name, ".so") {
		return "", "", false
	}
	has := func(p string) bool {
		pi, ok := c.r.exists(p)
		if !ok || !pi.mode.IsRegular() {
			return false
		}
		fi := c.r.info(pi.real)
		if v, _ := glibcVerdict(c.prog, fi.head); v != accept {
			return false
		}
		f, err := c.r.scan(p, pi.real)
		return err == nil && f.Kind == KindShared && (f.Soname == name || f.Soname == "")
	}
	for _, l := range hwcaps {
		for _, d := range c.dirs {
			if p := path.Join(d, "glibc-hwcaps", l, name); has(p) {
				return p, l, true
			}
		}
	}
	for _, d := range c.dirs {
		if p := path.Join(d, name); has(p) {
			return p, "", true
		}
	}
	return "", "", false
}
