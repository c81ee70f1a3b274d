package collector

import (
	"debug/elf"
	"encoding/binary"
	"path"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/elfscan/ldcache"
)

// ldSoCache is the loader's cache file, the same path for glibc everywhere.
const ldSoCache = "/etc/ld.so.cache"

// addCacheIfNeeded adds the root's /etc/ld.so.cache when the loader found a
// library of the closure through it in a directory it would not search
// without it (/usr/local/lib after "make install; ldconfig", a directory
// of /etc/ld.so.conf.d): without the cache that library is not found in
// the image. A closure whose libraries all sit in the default directories
// does not need it, and gets no such file.
//
// The cache is the root's as it is: its entries for files the image lacks
// are harmless, as the loader goes on to the default directories when a
// cached path cannot be opened.
//
// With elfscan.WithLdSoConf the libraries were found where a cache built
// from ld.so.conf would put them, and the root's cache is missing or
// stale: the image gets a cache made for it instead, with an entry for
// each library of the plan found that way, as ldconfig would write it.
func (c *collection) addCacheIfNeeded(cl *elfscan.Closure) error {
	if cl.Flavor == elfscan.FlavorMusl {
		return c.addMuslPathIfNeeded(cl)
	}
	if c.res.LdSoConf() {
		return c.addConfCache(cl)
	}
	for _, o := range cl.Objects {
		if o.Step != elfscan.StepCache || inDirs(path.Dir(o.Path), cl.DefaultDirs) {
			continue
		}
		reason := Reason{Rule: RuleLdSoCache, Requester: o.Name, Evidence: o.Name + " is in " + path.Dir(o.Path) + ", which the loader searches only through the cache (" + neededBy(o).String() + ")"}
		return c.addPath(ldSoCache, reason, true)
	}
	return nil
}

// confCache is what addConfCache has gathered so far, kept in
// collection.cache: the cache grows with each closure.
type confCache struct {
	cache  ldcache.Cache
	seen   map[string]bool // name and path of each entry
	reason Reason          // for the first library that needs the cache; no Rule while none does
}

// addConfCache records the libraries of cl found through the emulated
// cache and, once one of them is outside the default directories, plans
// /etc/ld.so.cache with all of them.
func (c *collection) addConfCache(cl *elfscan.Closure) error {
	cc, _ := c.cache["ld.so.conf cache"].(*confCache)
	if cc == nil {
		cc = &confCache{seen: map[string]bool{}}
		cc.cache.Generator = "fromscratch, from ld.so.conf"
		c.cache["ld.so.conf cache"] = cc
	}
	for _, o := range cl.Objects {
		if o.Step != elfscan.StepCache || o.File == nil || c.entries[o.Path] == nil {
			continue // not found through the cache, or excluded
		}
		f := o.File
		flags, ok := ldcache.DefaultFlags(f.Machine, f.Class, f.EFlags)
		if !ok || cc.seen[o.Name+"\x00"+o.Path] {
			continue
		}
		cc.seen[o.Name+"\x00"+o.Path] = true
		cc.cache.Entries = append(cc.cache.Entries, ldcache.Entry{Name: o.Name, Path: o.Path, Flags: flags, HWCapsName: o.HWCaps})
		if f.Data == elf.ELFDATA2MSB {
			cc.cache.ByteOrder = binary.BigEndian
		}
		if cc.reason.Rule == "" && !inDirs(path.Dir(o.Path), cl.DefaultDirs) {
			cc.reason = Reason{Rule: RuleLdSoCache, Requester: o.Name, Evidence: "made from ld.so.conf, not the root's: " + o.Name +
				" is in " + path.Dir(o.Path) + ", which the loader searches only through the cache (" + neededBy(o).String() + ")"}
		}
	}
	if cc.reason.Rule == "" {
		return nil
	}
	data, err := cc.cache.MarshalBinary()
	if err != nil {
		return err
	}
	if e := c.entries[ldSoCache]; e != nil && e.Source == "" && e.Kind == File {
		e.Data, e.Size = data, int64(len(data)) // the same cache, grown
		return nil
	}
	return c.addGenerated(ldSoCache, data, cc.reason)
}

// addMuslPathIfNeeded is addCacheIfNeeded for musl, which has no cache
// but a path file (/etc/ld-musl-ARCH.path) that replaces its default
// path: when the loader found a library of the closure in a directory of
// that file that the default path lacks, the image needs the file.
func (c *collection) addMuslPathIfNeeded(cl *elfscan.Closure) error {
	if cl.Root.File == nil || cl.Root.File.Interp == "" {
		return nil // a library: the program that loads it brings the file
	}
	arch, ok := ldcache.MuslArchFromInterp(cl.Root.File.Interp)
	if !ok {
		return nil
	}
	defaults := ldcache.ParseMuslPath([]byte(ldcache.MuslDefaultPath))
	for _, o := range cl.Objects {
		if o.Step != elfscan.StepDefault || inDirs(path.Dir(o.Path), defaults) {
			continue
		}
		file := ldcache.MuslPathFile(cl.Root.File.Interp, arch)
		reason := Reason{Rule: RuleMuslPath, Requester: o.Name, Evidence: o.Name + " is in " + path.Dir(o.Path) +
			", which musl's loader searches only through " + file + " (" + neededBy(o).String() + ")"}
		return c.addPath(file, reason, true)
	}
	return nil
}

// inDirs reports whether dir is one of dirs or one of their glibc-hwcaps
// subdirectories, which the default search also tries.
func inDirs(dir string, dirs []string) bool {
	for _, d := range dirs {
		if dir == d || strings.HasPrefix(dir, d+"/glibc-hwcaps/") {
			return true
		}
	}
	return false
}
