package elfscan

import (
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan/ldcache"
)

// musl's rules, from ldso/dynlink.c (load_library, path_open, fixup_rpath,
// __dls3).

// muslReserved are the names (after "lib", up to and including the first
// dot) that musl answers with itself: libc.so, libc.so.6, libm.so.6,
// libpthread.so.0… musl's libc is also its loader, and it holds what glibc
// splits into these libraries. libcrypt is not among them.
var muslReserved = []string{"c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet."}

// muslSelf reports whether musl answers a request for name with itself.
func muslSelf(name, ldsoName string) bool {
	if strings.HasPrefix(name, "lib") {
		for _, r := range muslReserved {
			if strings.HasPrefix(name[3:], r) {
				return true
			}
		}
	}
	return name == ldsoName
}

// muslStart sets up a musl closure: the loader (which is also libc) and
// the system path.
func (cl *closure) muslStart(root *node) error {
	cl.ldsoName = cl.prog.Interp
	arch, ok := ldcache.MuslArchFromInterp(cl.prog.Interp)
	if !ok {
		if arch, ok = ldcache.MuslArch(cl.prog.Machine, cl.prog.Class, cl.prog.Data, cl.prog.EFlags); !ok {
			arch = strings.ToLower(strings.TrimPrefix(cl.prog.Machine.String(), "EM_"))
		}
	}
	if cl.ldsoName == "" {
		// A library given as root: the loader of its programs.
		cl.ldsoName = "/lib/ld-musl-" + arch + ".so.1"
	}
	cl.sysPath = cl.r.muslSysPath(ldcache.MuslPathFile(cl.ldsoName, arch))
	cl.out.DefaultDirs = cl.sysPath
	if cl.prog.Interp != "" {
		cl.startInterp(root)
	}
	return nil
}

// muslSysPath is the system path: the lines of the loader's path file
// (/etc/ld-musl-ARCH.path, under the prefix of the loader's own path), or
// /lib:/usr/local/lib:/usr/lib without one. A path file that exists but
// cannot be read gives no directory at all.
func (r *Resolver) muslSysPath(file string) []string {
	if dirs, ok := r.musl[file]; ok {
		return dirs
	}
	data, err := r.root.ReadFile(file, 1<<20)
	var dirs []string
	switch {
	case err == nil:
		dirs = ldcache.ParseMuslPath(data)
	case errors.Is(err, fs.ErrNotExist):
		dirs = ldcache.ParseMuslPath([]byte(ldcache.MuslDefaultPath))
	default:
		dirs = []string{}
	}
	r.musl[file] = dirs
	return dirs
}

// muslSelfNode is the loader answering a request for libc and friends.
func (cl *closure) muslSelfNode(req *node) *node {
	if cl.interp != nil {
		return cl.interp
	}
	if cl.prog.Interp != "" {
		return nil // the interpreter is missing: already reported
	}
	// A library given as root: the loader of its programs.
	raw := cl.ldsoName
	c := cl.try(raw, muslVerdict)
	if !c.found || c.verdict != accept {
		cl.missing(req, raw, c.reason, "")
		return nil
	}
	n := cl.add(&Object{Name: raw, Parent: req.obj, Step: StepLoader, File: c.file}, raw, c.pi)
	n.queued = true
	cl.interp = n
	return n
}

// muslLoad is load_library for one DT_NEEDED name of req.
func (cl *closure) muslLoad(req *node, name string) *node {
	if name == "" {
		cl.missing(req, name, "Invalid argument", "")
		return nil
	}
	if muslSelf(name, cl.ldsoName) {
		return cl.muslSelfNode(req)
	}
	var c candidate
	var step Step
	var dir string
	searched := !strings.Contains(name, "/")
	if !searched {
		c, step = cl.try(cl.abs(name), muslVerdict), StepPath
	} else {
		for _, n := range cl.nodes[1:] {
			if n.short == name {
				return n
			}
		}
		if len(name) > 255 { // NAME_MAX
			cl.missing(req, name, "File name too long", "")
			return nil
		}
		c, step, dir = cl.muslSearch(req, name)
	}
	if !c.found || c.verdict != accept {
		if c.found {
			cl.missing(req, name, c.reason, Clean(c.raw))
		} else {
			cl.missing(req, name, "", "")
		}
		return nil
	}
	// The same file (device and inode) is the library already loaded; the
	// loader itself is only ever loaded once.
	if cl.interp != nil && c.pi.id == cl.interp.id {
		return cl.interp
	}
	if n := cl.byID(c.pi.id, true); n != nil {
		if n.short == "" && searched {
			n.short = path.Base(n.raw)
		}
		return n
	}
	n := cl.add(&Object{Name: name, Parent: req.obj, Step: step, Dir: dir, File: c.file}, c.raw, c.pi)
	n.loader = req
	n.origin = textDir(c.raw)
	if searched {
		n.short = path.Base(c.raw)
	}
	return n
}

// muslSearch looks for name (no slash): LD_LIBRARY_PATH, then the
// RUNPATH (or else RPATH) of req and of each of its loaders up to the
// root, then the system path. The first file that opens ends the search,
// whatever it is.
func (cl *closure) muslSearch(req *node, name string) (candidate, Step, string) {
	var env []string
	for _, d := range cl.r.libraryPath {
		env = append(env, ldcache.ParseMuslPath([]byte(d))...)
	}
	c, dir, stop := cl.muslPathOpen(env, name)
	if c.found {
		return c, StepLibraryPath, dir
	}
	for p := req; p != nil && !stop; p = p.loader {
		dirs, step := cl.muslRPath(p)
		if c, dir, stop = cl.muslPathOpen(dirs, name); c.found {
			return c, step, dir
		}
	}
	if !stop {
		if c, dir, _ = cl.muslPathOpen(cl.sysPath, name); c.found {
			return c, StepDefault, dir
		}
	}
	return candidate{}, 0, ""
}

// muslPathOpen is path_open: the first directory where name opens wins;
// ENOENT, ENOTDIR, EACCES and ENAMETOOLONG go on to the next.
// stop is true when an error other than "not there" ends the search.
func (cl *closure) muslPathOpen(dirs []string, name string) (candidate, string, bool) {
	for _, d := range dirs {
		raw := d + "/" + name
		if len(raw) >= 2*255+2 {
			continue // does not fit musl's buffer: skipped
		}
		c := cl.try(cl.abs(raw), muslVerdict)
		if c.found && c.verdict != skip { // skip: open said EACCES, which path_open passes over
			return c, d, false
		}
		if c.pi != nil && c.pi.err != nil && errors.Is(c.pi.err, ErrLoop) {
			return candidate{}, "", true
		}
	}
	return candidate{}, "", false
}

// muslRPath is the search path musl takes from p: its DT_RUNPATH if it has
// one, else its DT_RPATH, with $ORIGIN expanded; nothing if the string has
// another token.
func (cl *closure) muslRPath(p *node) ([]string, Step) {
	f := p.obj.File
	step, s := StepRPath, ""
	switch {
	case f.HasRunPath:
		step, s = StepRunPath, strings.Join(f.RunPath, ":")
	case f.HasRPath:
		s = strings.Join(f.RPath, ":")
	default:
		return nil, step
	}
	x, ok := expandMusl(s, p.origin)
	if !ok {
		return nil, step
	}
	return ldcache.ParseMuslPath([]byte(x)), step
}

// textDir is the directory part of p as the loaders compute $ORIGIN: the
// text before the last slash ("/" for "/x"), without cleaning.
func textDir(p string) string {
	i := strings.LastIndexByte(p, '/')
	switch {
	case i < 0:
		return "."
	case i == 0:
		return "/"
	}
	return p[:i]
}
