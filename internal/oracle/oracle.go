package oracle

import (
	"fmt"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/internal/hostld"
)

// Options say how to run the loader.
type Options struct {
	// Sysroot, if set, is a root filesystem to run the loader in
	// (chroot; needs root, and qemu's binfmt handler for another
	// architecture). Path is then a path inside it, and so are the paths
	// returned.
	Sysroot string
	// LibraryPath is passed as LD_LIBRARY_PATH (joined with ':').
	LibraryPath []string
	// Dir is the loader's working directory (inside Sysroot); default "/".
	Dir string
	// Loader is the interpreter that loads a shared library given as Path
	// (default: the usual glibc loader for its machine, or musl's when the
	// library needs musl's libc).
	Loader string
	// Timeout bounds the run (default 30s).
	Timeout time.Duration
	// Credential, if set, runs the loader as that user (needs root): what
	// it cannot open is then EACCES, as for the program run so.
	Credential *syscall.Credential
}

// A LoaderError is the loader giving up: glibc stops at a file it cannot
// load ("invalid ELF header", "wrong ELF class"…) and prints only that.
type LoaderError struct {
	Cmd    []string
	Exit   int
	Stderr string
	Paths  []string // what it printed before giving up
}

// Error is the command, its exit status and what it printed on stderr.
func (e *LoaderError) Error() string {
	return fmt.Sprintf("%s: exit %d: %s", strings.Join(e.Cmd, " "), e.Exit, strings.TrimSpace(e.Stderr))
}

// ErrRefused is wrapped by Ask's error when the file's interpreter is not
// a loader the oracle knows to be safe to start (hostld.Check).
var ErrRefused = hostld.ErrRefused

// Ask returns the real paths (inside the sysroot, if any) of the files the
// loader maps for path, in the order it prints them (the interpreter among
// them, the vDSO left out), and the names it could not find. It never runs
// path's own code: executables are started with tracing on, which stops
// glibc's loader before the program runs, or handed to the loader as an
// argument.
func Ask(p string, opts Options) (paths []string, missing []string, err error) {
	root := elfscan.HostRoot()
	if opts.Sysroot != "" {
		if root, err = elfscan.NewRoot(opts.Sysroot); err != nil {
			return nil, nil, err
		}
	}
	f, err := elfscan.Open(root, p)
	if err != nil {
		return nil, nil, err
	}
	st, err := root.Stat(p)
	if err != nil {
		return nil, nil, err
	}
	interp := f.Interp
	if interp == "" {
		if f.Kind != elfscan.KindShared {
			return nil, nil, fmt.Errorf("oracle: %s is a %s file: no loader maps its libraries", p, f.Kind)
		}
		interp = opts.Loader
		if interp == "" {
			interp = hostld.DefaultLoader(f.Machine, f.Class, f.Data, f.EFlags, f.Needed)
		}
	}
	flavor, err := checkLoader(root, interp)
	if err != nil {
		return nil, nil, err
	}
	cmd := hostld.List(flavor, interp, p, opts.LibraryPath)
	if flavor == hostld.Glibc && f.Kind == elfscan.KindDynamic && st.Mode()&0o111 != 0 && st.Mode()&(os.ModeSetuid|os.ModeSetgid) == 0 {
		// The kernel starts the program's own glibc loader, checked
		// above; tracing stops it before the program runs. A library
		// (some, like libcap, have a PT_INTERP to print their version
		// when run), a file without execute permission, or a set-id
		// program (which would ignore tracing and run) is given to the
		// loader as an argument instead.
		cmd.Argv = []string{p}
	}
	cmd.Dir, cmd.Sysroot, cmd.Credential, cmd.Timeout = opts.Dir, opts.Sysroot, opts.Credential, opts.Timeout
	stdout, stderr, exit, err := hostld.Run(cmd)
	if err != nil {
		return nil, nil, fmt.Errorf("oracle: %w", err)
	}
	dir := opts.Dir
	if dir == "" {
		dir = "/"
	}
	for _, l := range hostld.Parse(stdout, stderr, flavor) {
		if l.Path == "" {
			missing = append(missing, l.Name)
			continue
		}
		// A path found through a relative search directory is printed
		// relative: "libq.so => libq.so".
		x := l.Path
		if !strings.HasPrefix(x, "/") {
			x = path.Join(dir, x)
		}
		real, _, err := root.Resolve(x)
		if err != nil {
			return nil, nil, fmt.Errorf("oracle: the loader printed %s: %v", x, err)
		}
		paths = append(paths, real)
	}
	if exit != 0 && flavor == hostld.Glibc && len(missing) == 0 {
		return nil, nil, &LoaderError{Cmd: cmd.Argv, Exit: exit, Stderr: string(stderr), Paths: paths}
	}
	return paths, missing, nil
}

// checkLoader makes sure interp is a loader we know (hostld.Check).
func checkLoader(root *elfscan.Root, interp string) (hostld.Flavor, error) {
	lf, err := elfscan.Open(root, interp)
	if err != nil {
		return 0, fmt.Errorf("oracle: %w %s: %v", ErrRefused, interp, err)
	}
	flavor, err := hostld.Check(interp, lf.Soname, lf.Needed, lf.Interp != "")
	if err != nil {
		return 0, fmt.Errorf("oracle: %w", err)
	}
	return flavor, nil
}

// HostInfo is what the host's glibc loader says about this machine in
// `ld.so --help` (hostld.Help).
type HostInfo = hostld.Help

// Host runs the host's loader (interp, e.g. /lib64/ld-linux-x86-64.so.2)
// with --help, which prints its settings and runs nothing else.
func Host(interp string) (HostInfo, error) {
	if _, err := checkLoader(elfscan.HostRoot(), interp); err != nil {
		return HostInfo{}, err
	}
	stdout, _, _, err := hostld.Run(hostld.Cmd{Argv: []string{interp, "--help"}})
	if err != nil {
		return HostInfo{}, fmt.Errorf("oracle: %w", err)
	}
	return hostld.ParseHelp(stdout), nil
}
