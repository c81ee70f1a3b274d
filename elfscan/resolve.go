package elfscan

import (
	"debug/elf"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
)

// Flavor is the loader whose rules a Resolver follows.
type Flavor int

const (
	FlavorAuto  Flavor = iota // from each root's PT_INTERP (ld-musl-* is musl, anything else glibc)
	FlavorGlibc               // glibc's ld-linux*.so
	FlavorMusl                // musl's ld-musl-*.so.1
)

// String is the flavour's name: "auto", "glibc" or "musl".
func (f Flavor) String() string {
	if f < 0 || int(f) >= 3 {
		return "unknown"
	}
	return [...]string{"auto", "glibc", "musl"}[f]
}

// MarshalText makes a Flavor read as its name in JSON.
func (f Flavor) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// An Option configures a Resolver.
type Option func(*Resolver)

// WithRoot makes every lookup happen inside root (default: the host's "/").
func WithRoot(root *Root) Option { return func(r *Resolver) { r.root = root } }

// WithLibraryPath is LD_LIBRARY_PATH for the emulated loader, one directory
// per element (an empty element is the working directory, as in
// LD_LIBRARY_PATH). Tokens ($ORIGIN: the root's directory) are expanded.
// The tool's own environment is never read.
func WithLibraryPath(dirs []string) Option { return func(r *Resolver) { r.libraryPath = dirs } }

// WithHWCaps selects the glibc-hwcaps level of the target CPU, e.g.
// "x86-64-v3": subdirectories up to that level are searched. The default is
// the baseline (none), which every CPU of the architecture runs.
// Closure.HWCapsVariants reports the better variants the root holds.
func WithHWCaps(level string) Option { return func(r *Resolver) { r.hwcaps = level } }

// WithFlavor forces the loader rules instead of choosing them per root.
func WithFlavor(f Flavor) Option { return func(r *Resolver) { r.flavor = f } }

// WithATPlatform sets the value of $PLATFORM (default: the kernel's
// AT_PLATFORM for the program's machine, see ATPlatform). glibc on x86-64
// replaces it by "haswell" on Intel CPUs with AVX2 and by "xeon_phi" on
// AVX512ER ones: set that here to emulate such a CPU.
func WithATPlatform(p string) Option { return func(r *Resolver) { r.platform = p } }

// WithWorkDir sets the working directory of the emulated program (default
// "/", a container's default WORKDIR): relative DT_NEEDED paths, relative
// and empty RPATH/RUNPATH/LD_LIBRARY_PATH elements start there.
func WithWorkDir(dir string) Option { return func(r *Resolver) { r.workDir = Clean(dir) } }

// WithLdSoConf makes glibc's step 4 use the directories of the root's
// /etc/ld.so.conf (with its include globs) instead of /etc/ld.so.cache, as
// if ldconfig had just rebuilt the cache: for a root whose cache is missing
// or stale (a sysroot made by dpkg -x, an image whose build ran no
// ldconfig), where the image's own ldconfig run would change what loads.
//
// It is off by default because the real loader never reads ld.so.conf: in
// a root without a cache it searches only the default directories, and
// that is what the default emulation does. The collector gives an image
// resolved so a cache made from ld.so.conf, not the root's.
func WithLdSoConf(on bool) Option { return func(r *Resolver) { r.ldSoConf = on } }

// LdSoConf reports whether step 4 reads ld.so.conf (WithLdSoConf): the
// libraries found through it are then where a new cache would put them,
// not the root's /etc/ld.so.cache.
func (r *Resolver) LdSoConf() bool { return r.ldSoConf }

// WithImports(false) leaves the dynamic symbol tables and the dlopen
// notes unread: the closure is the same, and File.Imports and
// File.DlopenNotes open the file again when asked. What only needs the
// loader's answer (deps --list) is faster so. By default a Resolver reads
// both with each file, which costs less than a second open when the
// caller will ask about every object, as the collector's rules do.
func WithImports(read bool) Option { return func(r *Resolver) { r.noImports = !read } }

// A Resolver emulates the dynamic loader. It caches what it reads (each
// file is read once however many roots load it, each directory listed
// once), so one Resolver resolving many roots is cheaper than many. It is
// safe for concurrent use; resolutions are serialized.
type Resolver struct {
	root        *Root
	libraryPath []string
	hwcaps      string
	flavor      Flavor
	platform    string
	workDir     string
	ldSoConf    bool
	noImports   bool

	mu      sync.Mutex
	paths   map[string]*pathInfo
	dirs    map[string]map[string]bool
	files   map[string]*fileInfo
	layouts map[string]*glibcLayout
	caches  map[abiKey]*libCacheEntry
	// searches are the outcomes of glibc searches that depend on the
	// name and the ABI only (glibcSearchMemo).
	searches map[searchKey]searchHit
	musl     map[string][]string
}

// NewResolver returns a Resolver with the given options.
func NewResolver(opts ...Option) *Resolver {
	r := &Resolver{root: HostRoot(), workDir: "/"}
	for _, o := range opts {
		o(r)
	}
	r.paths = map[string]*pathInfo{}
	r.dirs = map[string]map[string]bool{}
	r.files = map[string]*fileInfo{}
	r.layouts = map[string]*glibcLayout{}
	r.caches = map[abiKey]*libCacheEntry{}
	r.searches = map[searchKey]searchHit{}
	r.musl = map[string][]string{}
	return r
}

// symbols are the dynamic symbols the Resolver's scans read.
func (r *Resolver) symbols() symbolSet {
	if r.noImports {
		return 0
	}
	return wantImports | wantNotes // for the collector's rules
}

// Root is the root the Resolver looks in.
func (r *Resolver) Root() *Root { return r.root }

// Resolve computes the closure of each root path (paths inside the Root;
// a relative path starts at the working directory), in order. A root that
// cannot be read or is not ELF is an error; a library that cannot be found
// is not: it is listed in Closure.Missing.
func (r *Resolver) Resolve(paths ...string) (*Graph, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := &Graph{Root: r.root}
	r.prefetch(paths)
	for _, p := range paths {
		c, err := r.resolveRoot(p, nil)
		if err != nil {
			return nil, prefixed(err)
		}
		g.Closures = append(g.Closures, c)
	}
	return g, nil
}

// A DlopenCall is a dlopen(3) that a program makes once it has started:
// Name, asked for by the object at path By ("" for the program itself).
type DlopenCall struct {
	By   string // a Path (or RealPath) of an object of the closure
	Name string // a library name, or a path with a slash
}

// ResolveDlopen resolves root as Resolve does, then makes the calls in
// order, as the loader does for dlopen: each name is matched against what
// is loaded, else searched as a request of By (its RPATH chain, then
// LD_LIBRARY_PATH, its RUNPATH, the cache, the default directories), and
// what it needs is loaded breadth-first after it. The objects it brings
// are marked Dlopened; a name not found is in Closure.Missing, by By.
func (r *Resolver) ResolveDlopen(root string, calls ...DlopenCall) (*Closure, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.resolveRoot(root, calls)
	return c, prefixed(err)
}

// flavorOf is the loader whose rules apply to the root f.
func (r *Resolver) flavorOf(f *File) Flavor {
	if r.flavor != FlavorAuto {
		return r.flavor
	}
	if isMuslInterp(f.Interp) || f.Interp == "" && looksMusl(f) {
		return FlavorMusl
	}
	return FlavorGlibc
}

// A node is one loaded object with the loader's bookkeeping for it.
type node struct {
	obj    *Object
	loader *node    // the object whose request loaded it (l_loader, needed_by)
	raw    string   // the path as the loader opened it (l_name)
	names  []string // names it was requested under (glibc's l_libname)
	short  string   // musl: the name a search found it under
	id     fileID
	origin string // $ORIGIN of its RPATH/RUNPATH
	queued bool

	rpath, runpath         []string
	rpathDone, runpathDone bool
}

// closure is the state of one root's resolution.
type closure struct {
	r      *Resolver
	out    *Closure
	prog   *File // the root: every library must match its ABI
	nodes  []*node
	queue  []*node
	interp *node

	// glibc
	layout   *glibcLayout
	levels   []string // glibc-hwcaps subdirectories searched, best first
	above    []string // levels above the selected one, for HWCapsVariants
	platform string
	cache    libCache

	// musl
	ldsoName string
	sysPath  []string
}

func (r *Resolver) resolveRoot(p string, calls []DlopenCall) (*Closure, error) {
	if !strings.HasPrefix(p, "/") {
		p = r.workDir + "/" + p
	}
	p = Clean(p)
	pi := r.lookup(p)
	if pi.err != nil {
		return nil, fmt.Errorf("%s: %w", p, pi.err)
	}
	if !pi.mode.IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", p)
	}
	f, err := r.scan(p, pi.real)
	if err != nil {
		return nil, err
	}
	if f.Kind == KindOther {
		return nil, fmt.Errorf("%s: %s ELF file, not a program or a shared library", p, strings.ToLower(strings.TrimPrefix(f.Type.String(), "ET_")))
	}
	flavor := r.flavorOf(f)
	cl := &closure{r: r, prog: f, out: &Closure{Flavor: flavor}}
	root := cl.add(&Object{Name: p, Step: StepRoot, File: f}, p, pi)
	cl.out.Root = root.obj
	switch f.Kind {
	case KindDynamic:
		// Started by the kernel, which gives the loader the real path
		// (/proc/self/exe, AT_EXECFN for musl is not used for $ORIGIN).
		root.origin = path.Dir(pi.real)
	default:
		// A library is started as "ld.so FILE": $ORIGIN is the directory
		// of the path as given.
		root.origin = path.Dir(p)
	}
	if f.Kind == KindStatic || f.Kind == KindStaticPIE {
		return cl.out, nil // nothing else is loaded
	}
	switch flavor {
	case FlavorMusl:
		err = cl.muslStart(root)
	default:
		err = cl.glibcStart(root)
	}
	if err != nil {
		return nil, err
	}
	cl.run(flavor)
	if err := cl.dlopen(flavor, calls); err != nil {
		return nil, err
	}
	return cl.out, nil
}

// looksMusl guesses the loader of a library given as a root, which names
// none: musl libraries need musl's libc under its own names.
func looksMusl(f *File) bool {
	for _, n := range f.Needed {
		if n == "libc.so" || strings.HasPrefix(n, "libc.musl-") {
			return true
		}
	}
	return false
}

// add makes a node for a newly loaded object found at raw (the path the
// loader opened), recording its path, real path and links.
func (cl *closure) add(o *Object, raw string, pi *pathInfo) *node {
	o.Path, o.Links = raw, pi.links
	// Print the clean path unless cleaning changes where it leads ("dir/.."
	// after a symlinked dir): the loader's own string may hold "//", "./"
	// or "a/../b".
	if c := Clean(raw); c != raw {
		if !strings.Contains(raw, "/..") {
			o.Path = c
		} else if cpi := cl.r.lookup(c); cpi.err == nil && cpi.real == pi.real {
			o.Path, o.Links = c, cpi.links
		}
	}
	o.RealPath = pi.real
	n := &node{obj: o, raw: raw, id: pi.id}
	cl.nodes = append(cl.nodes, n)
	cl.out.Objects = append(cl.out.Objects, o)
	return n
}

// run loads breadth-first: the root's DT_NEEDED in order, then those of
// the first library loaded, and so on, each object's list once.
func (cl *closure) run(flavor Flavor) {
	root := cl.nodes[0]
	root.queued = true
	cl.queue = append(cl.queue, root)
	cl.drain(flavor, 0)
}

// dlopen makes the dlopen calls after start-up: each name loaded as a
// request of its caller, then the new objects' needs breadth-first.
func (cl *closure) dlopen(flavor Flavor, calls []DlopenCall) error {
	start := len(cl.queue)
	for _, call := range calls {
		by := cl.nodes[0]
		if call.By != "" {
			if by = cl.byPath(call.By); by == nil {
				return fmt.Errorf("dlopen %s by %s: %s is not in the closure of %s", call.Name, call.By, call.By, cl.nodes[0].obj.Path)
			}
		}
		before := len(cl.nodes)
		var n *node
		if flavor == FlavorMusl {
			n = cl.muslLoad(by, call.Name)
		} else {
			n = cl.glibcLoad(by, call.Name)
		}
		if n == nil {
			continue
		}
		if len(cl.nodes) > before {
			n.obj.Dlopened = true
		}
		if !n.queued {
			n.queued = true
			cl.queue = append(cl.queue, n)
		}
	}
	cl.drain(flavor, start)
	return nil
}

// byPath is the node of the object at p (its path or real path).
func (cl *closure) byPath(p string) *node {
	for _, n := range cl.nodes {
		if n.obj.Path == p || n.obj.RealPath == p {
			return n
		}
	}
	return nil
}

// drain loads the needs of the queued objects from index i on,
// breadth-first, queueing what they bring.
func (cl *closure) drain(flavor Flavor, i int) {
	for ; i < len(cl.queue); i++ {
		n := cl.queue[i]
		for _, name := range n.obj.File.Needed {
			var dep *node
			if flavor == FlavorMusl {
				dep = cl.muslLoad(n, name)
			} else {
				dep = cl.glibcLoad(n, name)
			}
			if dep == nil {
				n.obj.Deps = append(n.obj.Deps, nil)
				continue
			}
			n.obj.Deps = append(n.obj.Deps, dep.obj)
			if !dep.queued {
				dep.queued = true
				cl.queue = append(cl.queue, dep)
			}
		}
	}
}

func (cl *closure) missing(by *node, name, reason, path string) {
	cl.out.Missing = append(cl.out.Missing, Missing{Name: name, By: by.obj, Reason: reason, Path: path})
}

// byID returns the loaded object that is the file id, if any.
func (cl *closure) byID(id fileID, skipRoot bool) *node {
	for i, n := range cl.nodes {
		if skipRoot && i == 0 {
			continue
		}
		if n.id == id {
			return n
		}
	}
	return nil
}

// abs makes a path the loader builds relative to its working directory
// absolute, keeping it as written otherwise.
func (cl *closure) abs(p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	if cl.r.workDir == "/" {
		return "/" + p
	}
	return cl.r.workDir + "/" + p
}

// A candidate is the outcome of trying one path.
type candidate struct {
	raw     string
	pi      *pathInfo
	file    *File
	verdict verdict
	reason  string
	found   bool // something is there
}

// try opens raw (an absolute path as the loader builds it) and judges the
// file with the loader's rules.
func (cl *closure) try(raw string, judge func(*File, []byte) (verdict, string)) candidate {
	c := candidate{raw: raw}
	pi, ok := cl.r.exists(raw)
	if !ok {
		return c
	}
	c.pi, c.found = pi, true
	fi := cl.r.info(pi.real)
	if fi.hdrErr != nil {
		// glibc's open_path and musl's path_open go on to the next
		// directory when open fails with EACCES, and stop on other errors.
		c.verdict, c.reason = fail, fi.hdrErr.Error()
		if fi.denied {
			c.verdict = skip
		}
		return c
	}
	if c.verdict, c.reason = judge(cl.prog, fi.head); c.verdict != accept {
		return c
	}
	f, err := cl.r.scan(raw, pi.real)
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			err = fe.Err
		}
		c.verdict, c.reason = fail, errText(err)
		return c
	}
	if why, fatal := cl.prog.Mismatch(f); why != "" {
		c.verdict, c.reason = skip, why
		if fatal {
			c.verdict = fail
		}
		return c
	}
	c.file = f
	return c
}

// hwcapsSelection returns the glibc-hwcaps levels searched (the selected
// one and those below it, best first) and those above it.
func (r *Resolver) hwcapsSelection(prog *File) (searched, above []string, err error) {
	levels := hwcapsLevels(prog)
	if r.hwcaps == "" {
		return nil, levels, nil
	}
	i := slices.Index(levels, r.hwcaps)
	if i < 0 {
		if len(levels) == 0 {
			return nil, nil, fmt.Errorf("hwcaps level %q: %s has no glibc-hwcaps levels", r.hwcaps, prog.Machine)
		}
		return nil, nil, fmt.Errorf("hwcaps level %q: want one of %s for %s", r.hwcaps, strings.Join(levels, ", "), prog.Machine)
	}
	return levels[i:], levels[:i], nil
}

// platformOf is $PLATFORM for prog.
func (r *Resolver) platformOf(prog *File) string {
	if r.platform != "" {
		return r.platform
	}
	return ATPlatform(prog)
}

// is64 reports whether f is a 64-bit file.
func is64(f *File) bool { return f.Class == elf.ELFCLASS64 }
