package elfscan

// The loader's step 4: /etc/ld.so.cache of the root, or (WithLdSoConf) the
// directories of its ld.so.conf.

// libCache answers glibc's cache lookups for one program's ABI.
type libCache interface {
	// lookup returns the path the cache gives for name, and the
	// glibc-hwcaps level of the entry ("" for none).
	lookup(name string) (path, level string, ok bool)
}

type libCacheEntry struct {
	c   libCache
	err error
}

// libCacheFor returns the cache of the root for programs like prog, read
// once per Resolver and ABI; nil if the root has none.
func (r *Resolver) libCacheFor(prog *File, layout *glibcLayout) (libCache, error) {
	key := prog.Class.String() + "/" + prog.Data.String() + "/" + prog.Machine.String()
	if e, ok := r.caches[key]; ok {
		return e.c, e.err
	}
	e := &libCacheEntry{}
	e.c, e.err = r.loadLibCache(prog, layout)
	r.caches[key] = e
	return e.c, e.err
}

// loadLibCache is wired to package ldcache once it lands.
func (r *Resolver) loadLibCache(prog *File, layout *glibcLayout) (libCache, error) {
	return nil, nil
}
