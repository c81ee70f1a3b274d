package elfscan

import (
	"errors"
	"fmt"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fromscratch/fromscratch/internal/hostld"
)

// StepHostLoader marks an object that the host's real loader reported
// (ResolveWithHostLoader): it does not say which search step found it.
const StepHostLoader Step = 100

// hostLoaderTimeout bounds one run of the loader.
const hostLoaderTimeout = time.Minute

// ResolveWithHostLoader computes the closure of each root path by asking
// the host's real dynamic loader instead of emulating it: the judge's own
// answer, for the files of this machine.
//
// It EXECUTES a program: the interpreter named by each file's PT_INTERP
// (for a library without one, musl's loader if it needs musl's libc, else
// glibc's, for its machine), as
// `env -i LD_TRACE_LOADED_OBJECTS=1 LOADER FILE` for glibc and
// `env -i LOADER --list FILE` for musl, with LD_LIBRARY_PATH from
// WithLibraryPath and nothing else in the environment. In that mode the
// loader maps the libraries but runs none of their code, and the file
// itself is never executed, even when it is setuid. But the loader is
// trusted: only glibc's and musl's loaders at their standard paths
// (/lib/ld-linux-aarch64.so.1, /lib64/ld-linux-x86-64.so.2,
// /lib/ld-musl-x86_64.so.1…; internal/hostld decides, for the tests'
// oracle too), whose files are what their names say (SONAME), and of
// this machine's architecture are run;
// a file that names another interpreter is an error, and so is a Root
// other than the host's "/". Static files are not given to any loader.
//
// The loader names each library and where it found it, not why:
// objects get Step StepHostLoader, and Parent is the first object in load
// order whose DT_NEEDED names the library. Names it could not find are in
// Closure.Missing. Other options of the Resolver are ignored.
func (r *Resolver) ResolveWithHostLoader(paths ...string) (*Graph, error) {
	if !r.root.IsHost() {
		return nil, fmt.Errorf("elfscan: the host loader can only resolve files of the host, not of the root %s", r.root.Dir())
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
		if loader = hostld.DefaultLoader(f.Machine, f.Class, f.Data, f.EFlags, f.Needed); loader == "" {
			return nil, fmt.Errorf("elfscan: %s: no PT_INTERP, and no known loader for %v libraries", p, f.Machine)
		}
	}
	flavor, err := checkHostLoader(r.root, loader, f)
	if err != nil {
		return nil, fmt.Errorf("elfscan: %s: %w", p, err)
	}
	cmd := hostld.List(flavor, loader, rootObj.RealPath, r.libraryPath)
	cmd.Timeout = hostLoaderTimeout
	stdout, stderr, exit, err := hostld.Run(cmd)
	if err == nil && exit != 0 {
		msg := strings.TrimSpace(string(stderr))
		if msg == "" {
			msg = strings.TrimSpace(string(stdout))
		}
		err = fmt.Errorf("%s: exit status %d: %s", strings.Join(cmd.Argv, " "), exit, msg)
	}
	if err != nil {
		return nil, fmt.Errorf("elfscan: %s: %w", p, err)
	}
	interpReal := ""
	if f.Interp != "" {
		interpReal, _, _ = r.root.Resolve(f.Interp)
	}
	for _, l := range hostld.Parse(stdout, stderr, flavor) {
		if l.Path == "" {
			c.Missing = append(c.Missing, Missing{Name: l.Name, By: neededBy(c.Objects, l.Name, rootObj)})
			continue
		}
		// The loader ran in "/": a path found through a relative
		// search directory is relative to it.
		l.Path = Clean(path.Join("/", l.Path))
		if l.Direct {
			l.Name = l.Path
		}
		if slices.ContainsFunc(c.Objects, func(o *Object) bool { return o.Path == l.Path }) {
			continue // musl lists itself twice: as the loader and as libc
		}
		o, err := hostObject(r.root, l.Path, l.Name)
		if err != nil {
			return nil, fmt.Errorf("elfscan: %s: the loader reported %s: %w", p, l.Path, err)
		}
		switch {
		case f.Interp != "" && (l.Path == f.Interp || o.RealPath == interpReal):
			o.Name, o.Step, o.Parent = f.Interp, StepInterp, rootObj
			c.Interp = o
		case l.Direct:
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

// checkHostLoader refuses to run anything but glibc's or musl's loader
// (hostld.Check) of this machine that can load f, and tells which it is.
func checkHostLoader(root *Root, loader string, f *File) (hostld.Flavor, error) {
	lf, err := Open(root, loader)
	if err != nil {
		return 0, fmt.Errorf("the interpreter %s: %w", loader, err)
	}
	flavor, err := hostld.Check(loader, lf.Soname, lf.Needed, lf.Interp != "")
	if err != nil {
		return 0, err
	}
	_, arch, _ := lf.Platform()
	if arch != runtime.GOARCH && !(runtime.GOARCH == "amd64" && arch == "386") {
		return 0, fmt.Errorf("%w %s: it is for %s, this machine is %s", hostld.ErrRefused, loader, arch, runtime.GOARCH)
	}
	if why, _ := lf.Mismatch(f); why != "" {
		return 0, fmt.Errorf("the interpreter %s cannot load it: %s", loader, why)
	}
	return flavor, nil
}
