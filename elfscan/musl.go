package elfscan

import (
	"debug/elf"
	"errors"
	"io/fs"
	"path"
	"strings"
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

// muslArchOf is musl's LDSO_ARCH for prog's machine, for a library given
// as root (which names no interpreter).
func muslArchOf(prog *File) string {
	le := prog.Data == elf.ELFDATA2LSB
	switch prog.Machine {
	case elf.EM_X86_64:
		if !is64(prog) {
			return "x32"
		}
		return "x86_64"
	case elf.EM_386:
		return "i386"
	case elf.EM_AARCH64:
		if !le {
			return "aarch64_be"
		}
		return "aarch64"
	case elf.EM_ARM:
		suffix := ""
		if !le {
			suffix = "eb"
		}
		if prog.EFlags&efARMABIFloatHard != 0 {
			return "arm" + suffix + "hf"
		}
		return "arm" + suffix
	case elf.EM_RISCV:
		if is64(prog) {
			return "riscv64"
		}
		return "riscv32"
	case elf.EM_PPC64:
		if le {
			return "powerpc64le"
		}
		return "powerpc64"
	case elf.EM_PPC:
		return "powerpc"
	case elf.EM_S390:
		return "s390x"
	case elf.EM_MIPS:
		switch {
		case is64(prog) && le:
			return "mips64el"
		case is64(prog):
			return "mips64"
		case le:
			return "mipsel"
		}
		return "mips"
	case elf.EM_LOONGARCH:
		return "loongarch64"
	}
	return prog.Machine.String()
}

// muslStart sets up a musl closure: the loader (which is also libc) and
// the system path.
func (cl *closure) muslStart(root *node) error {
	cl.ldsoName = cl.prog.Interp
	arch := muslArch(cl.prog.Interp)
	if cl.ldsoName == "" {
		arch = muslArchOf(cl.prog)
		cl.ldsoName = "/lib/ld-musl-" + arch + ".so.1"
	} else if arch == "" {
		arch = muslArchOf(cl.prog)
	}
	cl.sysPath = cl.r.muslSysPath(cl.ldsoName, arch)
	if cl.prog.Interp != "" {
		cl.startInterp(root)
	}
	return nil
}

// muslSysPath is the system path: the lines of /etc/ld-musl-ARCH.path
// under the prefix of the loader's path ("/usr/local/musl/lib/ld.so" reads
// "/usr/local/musl/etc/…"), or /lib:/usr/local/lib:/usr/lib without it.
// A path file that exists but cannot be read gives no directory at all.
func (r *Resolver) muslSysPath(ldsoName, arch string) []string {
	prefix := ""
	if strings.HasPrefix(ldsoName, "/") {
		i := strings.LastIndexByte(ldsoName, '/')
		if j := strings.LastIndexByte(ldsoName[:i], '/'); j > 0 {
			prefix = ldsoName[:j]
		}
	}
	file := prefix + "/etc/ld-musl-" + arch + ".path"
	if dirs, ok := r.musl[file]; ok {
		return dirs
	}
	data, err := r.root.ReadFile(file, 1<<20)
	var dirs []string
	switch {
	case err == nil:
		dirs = splitMuslPath(string(data))
		if dirs == nil {
			dirs = []string{}
		}
	case errors.Is(err, fs.ErrNotExist):
		dirs = []string{"/lib", "/usr/local/lib", "/usr/lib"}
	default:
		dirs = []string{}
	}
	r.musl[file] = dirs
	return dirs
}

// splitMuslPath splits a path list on ':' and newlines, dropping empty
// elements, as path_open does.
func splitMuslPath(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(c rune) bool { return c == ':' || c == '\n' }) {
		out = append(out, f)
	}
	return out
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
		env = append(env, splitMuslPath(d)...)
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

// muslPathOpen is path_open: the first directory where name opens wins.
// stop is true when an error other than "not there" ends the search.
func (cl *closure) muslPathOpen(dirs []string, name string) (candidate, string, bool) {
	for _, d := range dirs {
		raw := d + "/" + name
		if len(raw) >= 2*255+2 {
			continue // does not fit musl's buffer: skipped
		}
		c := cl.try(cl.abs(raw), muslVerdict)
		if c.found {
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
	return splitMuslPath(x), step
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
