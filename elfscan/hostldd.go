package elfscan

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os/exec"
	"path"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// StepHostLoader marks an object that the host's real loader reported
// (ResolveWithHostLoader): it does not say which search step found it.
const StepHostLoader Step = 100

// The loaders ResolveWithHostLoader agrees to run: glibc's and musl's, at
// the paths their ABIs fix.
var (
	hostLoaderDirs = []string{"/lib", "/lib64", "/lib32", "/libx32", "/usr/lib", "/usr/lib64"}
	glibcLoaderRE  = regexp.MustCompile(`^(ld-linux(-[a-z0-9_]+)*\.so\.[0-9]+|ld64\.so\.[12]|ld\.so\.1)$`)
	muslLoaderRE   = regexp.MustCompile(`^ld-musl-[a-z0-9_]+(-sf|-sp)?\.so\.1$`)
)

// defaultGlibcLoader is the loader that runs a library of the given machine
// and class, which has no PT_INTERP to name one.
func defaultGlibcLoader(f *File) string {
	switch {
	case f.Machine == elf.EM_X86_64 && f.Class == elf.ELFCLASS64:
		return "/lib64/ld-linux-x86-64.so.2"
	case f.Machine == elf.EM_386:
		return "/lib/ld-linux.so.2"
	case f.Machine == elf.EM_AARCH64:
		return "/lib/ld-linux-aarch64.so.1"
	}
	return ""
}

// hostLoaderTimeout bounds one run of the loader.
const hostLoaderTimeout = time.Minute

// ResolveWithHostLoader computes the closure of each root path by asking
// the host's real dynamic loader instead of emulating it: the judge's own
// answer, for the files of this machine.
//
// It EXECUTES a program: the interpreter named by each file's PT_INTERP
// (for a library without one, glibc's loader for its machine), as
// `env -i LD_TRACE_LOADED_OBJECTS=1 LOADER FILE` for glibc and
// `env -i LOADER --list FILE` for musl, with LD_LIBRARY_PATH from
// WithLibraryPath and nothing else in the environment. In that mode the
// loader maps the libraries but runs none of their code, and the file
// itself is never executed, even when it is setuid. But the loader is
// trusted: only glibc's and musl's loaders at their standard paths
// (/lib/ld-linux-aarch64.so.1, /lib64/ld-linux-x86-64.so.2,
// /lib/ld-musl-x86_64.so.1…) and of this machine's architecture are run;
// a file that names another interpreter is an error, and so is a Root
// other than the host's "/". Static files are not given to any loader.
//
// The loader names each library and where it found it, not why:
// objects get Step StepHostLoader, and Parent is the first object in load
// order whose DT_NEEDED names the library. Names it could not find are in
// Closure.Missing. Other options of the Resolver are ignored.
func (r *Resolver) ResolveWithHostLoader(paths ...string) (*Graph, error) {
	if !r.root.IsHost() {
		return nil, fmt.Errorf("the host loader can only resolve files of the host, not of the root %s", r.root.Dir())
	}
	g := &Graph{Root: r.root, Closures: make([]*Closure, len(paths))}
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, p := range paths {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			g.Closures[i], errs[i] = r.hostClosure(Clean(p))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return g, nil
}

// hostClosure asks the loader about one file.
func (r *Resolver) hostClosure(p string) (*Closure, error) {
	rootObj, err := hostObject(r.root, p, p)
	if err != nil {
		return nil, err
	}
	rootObj.Step = StepRoot
	c := &Closure{Root: rootObj, Objects: []*Object{rootObj}}
	f := rootObj.File
	if f.Kind != KindDynamic && f.Kind != KindShared || len(f.Needed) == 0 && f.Interp == "" {
		return c, nil // nothing for a loader to load: static, or ld.so itself
	}
	loader := f.Interp
	if loader == "" {
		if loader = defaultGlibcLoader(f); loader == "" {
			return nil, fmt.Errorf("%s: no PT_INTERP, and no known loader for %v libraries", p, f.Machine)
		}
	}
	musl, err := checkHostLoader(r.root, loader, f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	args := []string{loader, rootObj.RealPath}
	env := []string{"LD_TRACE_LOADED_OBJECTS=1"}
	if musl {
		args, env = []string{loader, "--list", rootObj.RealPath}, nil
	}
	if len(r.libraryPath) > 0 {
		env = append(env, "LD_LIBRARY_PATH="+strings.Join(r.libraryPath, ":"))
	}
	stdout, stderr, err := runHostLoader(env, args)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", p, strings.Join(args, " "), err)
	}
	interpReal := ""
	if f.Interp != "" {
		interpReal, _, _ = r.root.Resolve(f.Interp)
	}
	lines := parseTrace(stdout)
	// musl prints what it cannot find on stderr and goes on.
	for _, m := range muslMissingRE.FindAllSubmatch(stderr, -1) {
		lines = append(lines, traceLine{name: string(m[1])})
	}
	for _, l := range lines {
		if l.path == "" {
			c.Missing = append(c.Missing, Missing{Name: l.name, By: neededBy(c.Objects, l.name, rootObj)})
			continue
		}
		if slices.ContainsFunc(c.Objects, func(o *Object) bool { return o.Path == l.path }) {
			continue // musl lists itself twice: as the loader and as libc
		}
		o, err := hostObject(r.root, l.path, l.name)
		if err != nil {
			return nil, fmt.Errorf("%s: the loader reported %s: %w", p, l.path, err)
		}
		switch {
		case f.Interp != "" && (l.path == f.Interp || o.RealPath == interpReal):
			o.Name, o.Step, o.Parent = f.Interp, StepInterp, rootObj
			c.Interp = o
		case l.direct:
			// An absolute name, or the loader (which prints its path
			// only) loaded for a library's DT_NEEDED.
			if o.File.Soname != "" && neededBy(c.Objects, o.File.Soname, nil) != nil {
				o.Name = o.File.Soname
			}
			o.Step = StepHostLoader
		default:
			o.Step = StepHostLoader
		}
		if o.Parent == nil {
			o.Parent = neededBy(c.Objects, o.Name, rootObj)
		}
		o.Dir = path.Dir(o.Path)
		c.Objects = append(c.Objects, o)
	}
	// The interpreter comes right after the root, as in every Closure.
	if c.Interp != nil {
		i := slices.Index(c.Objects, c.Interp)
		c.Objects = slices.Insert(slices.Delete(c.Objects, i, i+1), 1, c.Interp)
	}
	return c, nil
}

// hostObject reads the object at p, which the loader reported under name.
func hostObject(root *Root, p, name string) (*Object, error) {
	real, links, err := root.Resolve(p)
	if err != nil {
		return nil, err
	}
	f, err := Open(root, p)
	if err != nil {
		return nil, err
	}
	return &Object{Path: p, RealPath: real, Links: links, File: f, Name: name}, nil
}

// neededBy returns the first object whose DT_NEEDED holds name, or def.
func neededBy(objs []*Object, name string, def *Object) *Object {
	for _, o := range objs {
		if slices.Contains(o.File.Needed, name) {
			return o
		}
	}
	return def
}

// checkHostLoader refuses to run anything but a known loader of this
// machine that can load f, and tells whether it is musl's.
func checkHostLoader(root *Root, loader string, f *File) (musl bool, err error) {
	dir, base := path.Split(loader)
	dir = path.Clean(dir)
	switch {
	case !slices.Contains(hostLoaderDirs, dir):
		return false, fmt.Errorf("refusing to run the interpreter %s: not in a standard loader directory", loader)
	case muslLoaderRE.MatchString(base):
		musl = true
	case !glibcLoaderRE.MatchString(base):
		return false, fmt.Errorf("refusing to run the interpreter %s: not glibc's or musl's loader", loader)
	}
	lf, err := Open(root, loader)
	if err != nil {
		return false, fmt.Errorf("the interpreter: %w", err)
	}
	_, arch, _ := lf.Platform()
	if arch != runtime.GOARCH && !(runtime.GOARCH == "amd64" && arch == "386") {
		return false, fmt.Errorf("refusing to run the interpreter %s: it is for %s, this machine is %s", loader, arch, runtime.GOARCH)
	}
	if why, _ := lf.Mismatch(f); why != "" {
		return false, fmt.Errorf("the interpreter %s cannot load it: %s", loader, why)
	}
	return musl, nil
}

// runHostLoader runs the loader with exactly env as its environment.
func runHostLoader(env, args []string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), hostLoaderTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append([]string{}, env...) // never nil: nil would inherit ours
	cmd.Dir = "/"
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = strings.TrimSpace(out.String())
		}
		return nil, nil, fmt.Errorf("%w: %s", err, msg)
	}
	return out.Bytes(), errb.Bytes(), nil
}

// A traceLine is one library in the loader's trace output: name => path,
// or name => not found (path ""), or an absolute name alone.
type traceLine struct {
	name, path string
	direct     bool // printed as a path alone, without "name =>"
}

var muslMissingRE = regexp.MustCompile(`(?m)^Error loading shared library ([^:\s]+): .*$`)

// parseTrace reads the output of LD_TRACE_LOADED_OBJECTS (glibc) or
// --list (musl):
//
//	linux-vdso.so.1 (0x00007ffc…)            the vDSO: no file
//	libz.so.1 => /lib/…/libz.so.1 (0x…)       found
//	libfoo.so.1 => not found                  missing
//	/lib64/ld-linux-x86-64.so.2 (0x…)         an absolute name, or the loader
func parseTrace(out []byte) []traceLine {
	var lines []traceLine
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if i := strings.LastIndex(l, " (0x"); i >= 0 && strings.HasSuffix(l, ")") {
			l = l[:i]
		}
		name, p, arrow := strings.Cut(l, " => ")
		switch {
		case arrow && p == "not found":
			lines = append(lines, traceLine{name: name})
		case arrow && strings.HasPrefix(p, "/"):
			lines = append(lines, traceLine{name: name, path: Clean(p)})
		case !arrow && strings.HasPrefix(l, "/"):
			lines = append(lines, traceLine{name: l, path: Clean(l), direct: true})
		}
	}
	return lines
}
