package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/fromscratch/fromscratch/elfscan"
)

// resolveFlags are the flags of every command that resolves a closure.
type resolveFlags struct {
	root        string
	libraryPath []string
	hwcaps      string
	flavor      string
	resolver    string
	ldSoConf    bool
	workdir     string
	inputs      *elfscan.InputLog // where the Roots record what they read (the run cache), if anywhere
}

func (f *resolveFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.root, "root", "/", "look for everything inside `DIR` (a builder stage's filesystem, a sysroot); printed paths are inside it")
	fs.StringArrayVar(&f.libraryPath, "library-path", nil, "`DIRS` (colon-separated) searched as LD_LIBRARY_PATH would be; repeatable. The tool's own LD_LIBRARY_PATH is never used")
	fs.StringVar(&f.hwcaps, "hwcaps", "", "glibc-hwcaps `LEVEL` of the target CPU (e.g. x86-64-v3); default: the baseline every CPU runs")
	fs.StringVar(&f.flavor, "loader", "auto", "loader rules: `auto` (from each file's interpreter), glibc or musl")
	fs.BoolVar(&f.ldSoConf, "ld-so-conf", false, "search the directories of the root's /etc/ld.so.conf (and its includes) instead of its ld.so.cache, as if ldconfig had just run: for a sysroot without a cache or with a stale one (the image gets a cache made from it)")
	fs.StringVar(&f.workdir, "workdir", "", "the working `DIR` the program runs in (the image's WORKDIR): a relative library path with a slash in DT_NEEDED is opened from it, as the loader does (default /)")
	fs.StringVar(&f.resolver, "resolver", "emulate", "`HOW` to resolve: emulate (read ELF, never execute) or loader (ask the host's real loader: EXECUTES the file's interpreter; host files only)")
}

// options turns the flags into resolver options.
func (f *resolveFlags) options() ([]elfscan.Option, error) {
	var opts []elfscan.Option
	root, err := elfscan.NewRoot(f.root, elfscan.WithInputLog(f.inputs))
	if err != nil {
		return nil, err
	}
	opts = append(opts, elfscan.WithRoot(root))
	var dirs []string
	for _, p := range f.libraryPath {
		for _, d := range strings.Split(p, ":") {
			if d != "" {
				dirs = append(dirs, d)
			}
		}
	}
	if len(dirs) > 0 {
		opts = append(opts, elfscan.WithLibraryPath(dirs))
	}
	if f.hwcaps != "" {
		opts = append(opts, elfscan.WithHWCaps(f.hwcaps))
	}
	if f.ldSoConf {
		opts = append(opts, elfscan.WithLdSoConf(true))
	}
	if f.workdir != "" {
		opts = append(opts, elfscan.WithWorkDir(f.workdir))
	}
	switch f.flavor {
	case "auto":
	case "glibc":
		opts = append(opts, elfscan.WithFlavor(elfscan.FlavorGlibc))
	case "musl":
		opts = append(opts, elfscan.WithFlavor(elfscan.FlavorMusl))
	default:
		return nil, usageError{fmt.Errorf("--loader %q: want auto, glibc or musl", f.flavor)}
	}
	switch f.resolver {
	case "emulate", "loader":
		if f.resolver == "loader" && !root.IsHost() {
			return nil, usageError{fmt.Errorf("--resolver=loader asks the host's loader and cannot look inside --root %s", f.root)}
		}
	default:
		return nil, usageError{fmt.Errorf("--resolver %q: want emulate or loader", f.resolver)}
	}
	return opts, nil
}

// resolve runs the resolver the flags describe on paths inside the root.
func (f *resolveFlags) resolve(paths []string) (*elfscan.Graph, error) {
	opts, err := f.options()
	if err != nil {
		return nil, err
	}
	// The graph printed or compared needs no imported symbols: the
	// collector reads them itself, for its rules.
	r := elfscan.NewResolver(append(opts, elfscan.WithImports(false))...)
	if f.resolver == "loader" {
		return r.ResolveWithHostLoader(paths...)
	}
	return r.Resolve(paths...)
}

// workDir is the working directory the resolver assumes (WithWorkDir).
func (f *resolveFlags) workDir() string {
	if f.workdir == "" {
		return "/"
	}
	return elfscan.Clean(f.workdir)
}

// rootPath maps a FILE argument to a path inside the root. With --root, a
// relative FILE is taken relative to the root (as a builder stage's
// WORKDIR would be "/"), an absolute one as already inside it.
func (f *resolveFlags) rootPath(arg string) (string, error) {
	if f.root == "/" || f.root == "" {
		abs, err := filepath.Abs(arg)
		if err != nil {
			return "", err
		}
		return abs, nil
	}
	return elfscan.Clean(arg), nil
}

func (f *resolveFlags) rootPaths(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, usageError{fmt.Errorf("no FILE given")}
	}
	var out []string
	for _, a := range args {
		p, err := f.rootPath(a)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
