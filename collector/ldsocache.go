package collector

import (
	"path"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan"
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
func (c *collection) addCacheIfNeeded(cl *elfscan.Closure) error {
	for _, o := range cl.Objects {
		if o.Step != elfscan.StepCache || inDirs(path.Dir(o.Path), cl.DefaultDirs) {
			continue
		}
		reason := Reason{Rule: RuleLdSoCache, Requester: o.Name, Evidence: o.Name + " is in " + path.Dir(o.Path) + ", which the loader searches only through the cache (" + neededBy(o).String() + ")"}
		return c.addPath(ldSoCache, reason, true)
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
