package elfscan

import (
	"io/fs"
	"path"
	"strings"
)

// glibc's rules, from elf/dl-load.c (_dl_map_object, open_path,
// open_verify, fillin_rpath, _dl_dst_substitute) and elf/dl-deps.c.

// glibcLayout is what glibc's build compiled in for a distribution: the
// default directories (SYSTEM_DIRS, what `ld.so --help` lists as "system
// search path") and $LIB.
type glibcLayout struct {
	dirs []string
	lib  string
}

// glibcLayoutOf derives the layout from what the root holds for prog's
// machine: Debian's multiarch directories when they are there
// (/lib/<triplet>, /usr/lib/<triplet>, /lib, /usr/lib; $LIB is
// lib/<triplet>), else /lib64 and /usr/lib64 for a 64-bit program on a
// distribution that has a real lib64 directory (Fedora, SUSE; $LIB is
// lib64), else /lib and /usr/lib ($LIB is lib).
func (r *Resolver) glibcLayoutOf(prog *File) *glibcLayout {
	t := Triplet(prog)
	key := t + "/" + prog.Class.String()
	if l, ok := r.layouts[key]; ok {
		return l
	}
	isDir := func(p string) bool {
		pi := r.lookup(p)
		return pi.err == nil && pi.mode.IsDir()
	}
	// A lib64 that is a symlink (to lib, as on Arch, or to usr/lib64 on a
	// merged /usr) does not make a lib64 layout by itself.
	realDir := func(p string) bool {
		st, err := r.root.Lstat(p)
		return err == nil && st.Mode()&fs.ModeSymlink == 0 && st.IsDir()
	}
	var l *glibcLayout
	switch {
	case t != "" && (isDir("/lib/"+t) || isDir("/usr/lib/"+t)):
		l = &glibcLayout{dirs: []string{"/lib/" + t, "/usr/lib/" + t, "/lib", "/usr/lib"}, lib: "lib/" + t}
	case is64(prog) && (realDir("/usr/lib64") || realDir("/lib64")):
		l = &glibcLayout{dirs: []string{"/lib64", "/usr/lib64"}, lib: "lib64"}
	default:
		l = &glibcLayout{dirs: []string{"/lib", "/usr/lib"}, lib: "lib"}
	}
	r.layouts[key] = l
	return l
}

// glibcStart sets up a glibc closure: search settings and the interpreter,
// which is loaded before any library and answers to its PT_INTERP path and
// its SONAME.
func (cl *closure) glibcStart(root *node) error {
	var err error
	if cl.levels, cl.above, err = cl.r.hwcapsSelection(cl.prog); err != nil {
		return err
	}
	cl.layout = cl.r.glibcLayoutOf(cl.prog)
	cl.out.DefaultDirs = cl.layout.dirs
	cl.platform = cl.r.platformOf(cl.prog)
	if cl.cache, err = cl.r.libCacheFor(cl.prog, cl.layout); err != nil {
		return err
	}
	// The root answers to its SONAME; a library given as root ("ld.so
	// FILE") also to its path.
	if cl.prog.Kind == KindShared {
		root.names = append(root.names, root.obj.Path)
	}
	if cl.prog.Interp == "" {
		return nil
	}
	cl.startInterp(root)
	return nil
}

// startInterp adds the PT_INTERP object, which the kernel maps before the
// loader runs: its path as written, no search.
func (cl *closure) startInterp(root *node) {
	raw := cl.abs(cl.prog.Interp)
	c := cl.try(raw, glibcVerdict)
	if cl.out.Flavor == FlavorMusl {
		c = cl.try(raw, muslVerdict)
	}
	if c.found && c.verdict == accept && c.file.phdrsRefused != "" {
		// The kernel maps the interpreter with the same limits as the
		// program (load_elf_interp).
		c.verdict, c.reason = fail, c.file.phdrsRefused+": the kernel's execve refuses it as an interpreter"
	}
	if !c.found || c.verdict != accept {
		reason, p := c.reason, ""
		if c.found {
			p = raw
		}
		cl.missing(root, cl.prog.Interp, reason, p)
		return
	}
	n := cl.add(&Object{Name: cl.prog.Interp, Parent: root.obj, Step: StepInterp, File: c.file}, raw, c.pi)
	n.names = []string{cl.prog.Interp}
	n.loader = nil
	n.queued = true // the loader needs nothing
	cl.interp = n
	cl.out.Interp = n.obj
}

// dst is what glibc substitutes in strings of the object n.
func (cl *closure) dst(n *node) dstValues {
	return dstValues{origin: n.origin, platform: cl.platform, lib: cl.layout.lib}
}

// glibcMatch is _dl_lookup_map: a loaded object answers to the names it
// was loaded under, the path it was opened at, and its SONAME.
func (cl *closure) glibcMatch(name string) *node {
	for _, n := range cl.nodes {
		if n.raw == name && n != cl.nodes[0] || n.obj.File.Soname == name {
			return n
		}
		for _, x := range n.names {
			if x == name {
				return n
			}
		}
	}
	return nil
}

// glibcLoad is _dl_map_object for one DT_NEEDED name of req.
func (cl *closure) glibcLoad(req *node, name string) *node {
	// dl-deps.c expands tokens in DT_NEEDED first; a known token without a
	// value drops the entry.
	if hasGlibcDST(name) {
		x, ok := expandGlibc(name, cl.dst(req))
		if !ok {
			return nil
		}
		name = x
	}
	if n := cl.glibcMatch(name); n != nil {
		return n
	}
	var c candidate
	var step Step
	var dir, level string
	if strings.Contains(name, "/") {
		c, step = cl.try(cl.abs(name), glibcVerdict), StepPath
		if c.found && c.verdict == skip {
			c.found = false // not found, as glibc says for a wrong class
		}
	} else {
		c, step, dir, level = cl.glibcSearchMemo(req, name)
	}
	if !c.found || c.verdict != accept {
		if c.found && c.verdict == fail {
			cl.missing(req, name, c.reason, Clean(c.raw))
		} else {
			cl.missing(req, name, "", "")
		}
		return nil
	}
	// _dl_map_object_from_fd: the same file (device and inode) opened
	// under another name is the object already loaded. The root and the
	// interpreter have no file id in glibc (the kernel mapped them, or
	// "ld.so FILE" leaves it out to match the kernel): another path to
	// the loader loads it a second time.
	if n := cl.byID(c.pi.id, true); n != nil && n != cl.interp {
		n.names = append(n.names, name)
		return n
	}
	n := cl.add(&Object{Name: name, Parent: req.obj, Step: step, Dir: dir, HWCaps: level, File: c.file}, c.raw, c.pi)
	n.names = []string{name}
	n.loader = req
	n.origin = textDir(n.raw)
	switch step {
	case StepRPath, StepLibraryPath, StepRunPath, StepDefault:
		cl.variants(n, dir, name)
	case StepCache:
		// ldconfig puts the glibc-hwcaps subdirectories of its
		// directories in the cache too.
		cl.variants(n, strings.TrimSuffix(dir, "/glibc-hwcaps/"+level), name)
	}
	return n
}

// variants records the glibc-hwcaps copies of name in dir above the
// selected level.
func (cl *closure) variants(n *node, dir, name string) {
	if len(cl.above) == 0 || !cl.r.dirHas(Clean(cl.abs(dir)), "glibc-hwcaps") {
		return // most directories have none: no path to build and look up
	}
	for _, l := range cl.above {
		if _, ok := cl.r.exists(cl.abs(joinDir(dir, "glibc-hwcaps/"+l+"/"+name))); ok {
			if cl.out.HWCapsVariants == nil {
				cl.out.HWCapsVariants = map[string][]string{}
			}
			cl.out.HWCapsVariants[n.obj.Path] = append(cl.out.HWCapsVariants[n.obj.Path], l)
		}
	}
}

// glibcSearch looks for name (no slash) as requested by req, step by step.
// searchKey is a search whose outcome depends on the name and the
// program's ABI alone (see glibcSearchMemo).
type searchKey struct {
	abi      abiKey
	nodeflib bool
	name     string
}

// A searchHit is the outcome of one search.
type searchHit struct {
	c          candidate
	step       Step
	dir, level string
}

// glibcSearchMemo is glibcSearch, remembered per Resolver when no RPATH,
// RUNPATH or LD_LIBRARY_PATH takes part: then only the cache and the
// default directories do, which are the same for every program of one
// ABI, and the programs of a batch ask for the same few hundred names.
func (cl *closure) glibcSearchMemo(req *node, name string) (candidate, Step, string, string) {
	plain := !req.obj.File.HasRunPath && len(cl.r.libraryPath) == 0 && !cl.nodes[0].obj.File.HasRPath
	for l := req; plain && l != nil; l = l.loader {
		plain = !l.obj.File.HasRPath
	}
	if !plain {
		return cl.glibcSearch(req, name)
	}
	p := cl.prog
	key := searchKey{abiKey{p.Class, p.Data, p.Machine, p.EFlags}, req.obj.File.NoDefLib(), name}
	if h, ok := cl.r.searches[key]; ok {
		return h.c, h.step, h.dir, h.level
	}
	c, step, dir, level := cl.glibcSearch(req, name)
	cl.r.searches[key] = searchHit{c, step, dir, level}
	return c, step, dir, level
}

func (cl *closure) glibcSearch(req *node, name string) (candidate, Step, string, string) {
	var c candidate
	var dir, level string
	done := func() bool { return c.found && c.verdict != skip }
	// 1. DT_RPATH of req and of its loaders up to the root, unless req has
	// a DT_RUNPATH; then the root's, if the chain did not search it.
	if !req.obj.File.HasRunPath {
		didRoot := false
		for l := req; l != nil; l = l.loader {
			dirs := cl.rpathOf(l)
			if len(dirs) == 0 {
				continue
			}
			if c, dir, level = cl.searchDirs(dirs, name); done() {
				return c, StepRPath, dir, level
			}
			didRoot = didRoot || l == cl.nodes[0]
		}
		if root := cl.nodes[0]; !didRoot {
			if dirs := cl.rpathOf(root); len(dirs) > 0 {
				if c, dir, level = cl.searchDirs(dirs, name); done() {
					return c, StepRPath, dir, level
				}
			}
		}
	}
	// 2. LD_LIBRARY_PATH, with the root's tokens.
	if dirs := cl.libraryPath(); len(dirs) > 0 {
		if c, dir, level = cl.searchDirs(dirs, name); done() {
			return c, StepLibraryPath, dir, level
		}
	}
	// 3. DT_RUNPATH of req only.
	if dirs := cl.runpathOf(req); len(dirs) > 0 {
		if c, dir, level = cl.searchDirs(dirs, name); done() {
			return c, StepRunPath, dir, level
		}
	}
	nodeflib := req.obj.File.NoDefLib()
	// 4. /etc/ld.so.cache. With DF_1_NODEFLIB, entries under a default
	// directory are not used (a prefix test, as glibc does), others are.
	if cl.cache != nil {
		if p, lvl, ok := cl.cache.lookup(name, cl.levels); ok && !(nodeflib && cl.underSystemDir(p)) {
			if c = cl.try(p, glibcVerdict); done() {
				return c, StepCache, path.Dir(p), lvl
			}
		}
	}
	// 5. The default directories.
	if !nodeflib {
		if c, dir, level = cl.searchDirs(cl.layout.dirs, name); done() {
			return c, StepDefault, dir, level
		}
	}
	return candidate{}, 0, "", ""
}

// underSystemDir is the prefix test glibc applies to cache entries for a
// DF_1_NODEFLIB requester.
func (cl *closure) underSystemDir(p string) bool {
	for _, d := range cl.layout.dirs {
		if strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// searchDirs is open_path: in each directory, the glibc-hwcaps
// subdirectories of the selected levels, best first, then the directory.
// A file of another class or machine is passed over, and so is one that
// open refuses with EACCES; any other file the loader cannot read stops
// the search.
func (cl *closure) searchDirs(dirs []string, name string) (candidate, string, string) {
	for _, d := range dirs {
		for _, l := range cl.levels {
			c := cl.try(cl.abs(joinDir(d, "glibc-hwcaps/"+l+"/"+name)), glibcVerdict)
			if c.found && c.verdict != skip {
				return c, d, l
			}
		}
		c := cl.try(cl.abs(joinDir(d, name)), glibcVerdict)
		if c.found && c.verdict != skip {
			return c, d, ""
		}
	}
	return candidate{}, "", ""
}

// pathList splits and expands an RPATH, RUNPATH or LD_LIBRARY_PATH as
// fillin_rpath does: an element whose known token has no value is dropped,
// one that expands to nothing is dropped, an empty element is the working
// directory.
func (cl *closure) pathList(elems []string, n *node) []string {
	var out []string
	for _, e := range elems {
		if e != "" {
			x, ok := expandGlibc(e, cl.dst(n))
			if !ok || x == "" {
				continue
			}
			e = x
		}
		if !slicesContains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

func slicesContains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// rpathOf is the DT_RPATH of n, expanded with n's tokens; nothing if n has
// a DT_RUNPATH (glibc then ignores its DT_RPATH altogether) or an empty one.
func (cl *closure) rpathOf(n *node) []string {
	if !n.rpathDone {
		n.rpathDone = true
		f := n.obj.File
		if f.HasRPath && !f.HasRunPath && !(len(f.RPath) == 1 && f.RPath[0] == "") {
			n.rpath = cl.pathList(f.RPath, n)
		}
	}
	return n.rpath
}

// runpathOf is the DT_RUNPATH of n, expanded with n's tokens.
func (cl *closure) runpathOf(n *node) []string {
	if !n.runpathDone {
		n.runpathDone = true
		f := n.obj.File
		if f.HasRunPath && !(len(f.RunPath) == 1 && f.RunPath[0] == "") {
			n.runpath = cl.pathList(f.RunPath, n)
		}
	}
	return n.runpath
}

// libraryPath is LD_LIBRARY_PATH, expanded with the root's tokens.
func (cl *closure) libraryPath() []string {
	if len(cl.r.libraryPath) == 0 {
		return nil
	}
	return cl.pathList(cl.r.libraryPath, cl.nodes[0])
}
