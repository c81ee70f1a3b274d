package oracle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"regexp"
	"strings"
	"syscall"
	"time"

	"debug/elf"

	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/elfscan/ldcache"
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
// a loader the oracle knows to be safe to start.
var ErrRefused = errors.New("oracle: refusing to start an unknown interpreter")

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
			interp = defaultLoader(f)
		}
	}
	flavor, err := checkLoader(root, interp)
	if err != nil {
		return nil, nil, err
	}
	env := []string{}
	if len(opts.LibraryPath) > 0 {
		env = append(env, "LD_LIBRARY_PATH="+strings.Join(opts.LibraryPath, ":"))
	}
	var argv []string
	switch {
	case flavor == "musl":
		argv = []string{interp, "--list", p}
	case f.Kind == elfscan.KindDynamic && st.Mode()&0o111 != 0 && st.Mode()&(os.ModeSetuid|os.ModeSetgid) == 0:
		// The kernel starts the program's own glibc loader, checked
		// above; tracing stops it before the program runs.
		argv = []string{p}
		env = append(env, "LD_TRACE_LOADED_OBJECTS=1")
	default:
		// A library (some, like libcap, have a PT_INTERP to print
		// their version when run), a file without execute permission,
		// or a set-id program (which would ignore tracing and run):
		// given to the loader as an argument.
		argv = []string{interp, p}
		env = append(env, "LD_TRACE_LOADED_OBJECTS=1")
	}
	stdout, stderr, exit, err := run(opts, argv, env)
	if err != nil {
		return nil, nil, err
	}
	dir := opts.Dir
	if dir == "" {
		dir = "/"
	}
	paths, missing = parse(stdout, stderr, flavor)
	for i, x := range paths {
		if !strings.HasPrefix(x, "/") {
			x = path.Join(dir, x)
		}
		real, _, err := root.Resolve(x)
		if err != nil {
			return nil, nil, fmt.Errorf("oracle: the loader printed %s: %v", x, err)
		}
		paths[i] = real
	}
	if exit != 0 && flavor == "glibc" && len(missing) == 0 {
		return nil, nil, &LoaderError{Cmd: argv, Exit: exit, Stderr: string(stderr), Paths: paths}
	}
	return paths, missing, nil
}

// glibcLoaders are the PT_INTERP names of glibc's loaders.
var glibcLoader = regexp.MustCompile(`^(ld-linux[-a-z0-9_]*\.so\.[0-9]+|ld64\.so\.[12]|ld\.so\.1)$`)

// checkLoader makes sure interp is a loader we know: by its name, and by
// what it is: glibc's loaders have their own name as SONAME, musl's is a
// library that needs nothing. It returns "glibc" or "musl".
func checkLoader(root *elfscan.Root, interp string) (string, error) {
	base := path.Base(interp)
	lf, err := elfscan.Open(root, interp)
	if err != nil {
		return "", fmt.Errorf("%w %s: %v", ErrRefused, interp, err)
	}
	switch {
	case strings.HasPrefix(base, "ld-musl-") && lf.Interp == "" && len(lf.Needed) == 0 && (lf.Soname == "" || lf.Soname == "libc.so"):
		// musl's loader is its libc, which needs nothing; builds give
		// it no SONAME or "libc.so".
		return "musl", nil
	case glibcLoader.MatchString(base) && lf.Soname == base:
		return "glibc", nil
	}
	return "", fmt.Errorf("%w %s (SONAME %q)", ErrRefused, interp, lf.Soname)
}

// defaultLoader is the loader that runs programs like the library f.
func defaultLoader(f *elfscan.File) string {
	for _, n := range f.Needed {
		if n == "libc.so" || strings.HasPrefix(n, "libc.musl-") {
			arch, ok := ldcache.MuslArch(f.Machine, f.Class, f.Data, f.EFlags)
			if !ok {
				return ""
			}
			return "/lib/ld-musl-" + arch + ".so.1"
		}
	}
	switch f.Machine {
	case elf.EM_X86_64:
		return "/lib64/ld-linux-x86-64.so.2"
	case elf.EM_386:
		return "/lib/ld-linux.so.2"
	case elf.EM_AARCH64:
		return "/lib/ld-linux-aarch64.so.1"
	case elf.EM_ARM:
		if f.EFlags&ldcache.EFARMABIFloatHard != 0 {
			return "/lib/ld-linux-armhf.so.3"
		}
		return "/lib/ld-linux.so.3"
	case elf.EM_RISCV:
		return "/lib/ld-linux-riscv64-lp64d.so.1"
	case elf.EM_PPC64:
		return "/lib64/ld64.so.2"
	case elf.EM_S390:
		return "/lib/ld64.so.1"
	}
	return ""
}

// run starts argv with exactly env, in the sysroot if any.
func run(opts Options, argv, env []string) (stdout, stderr []byte, exit int, err error) {
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = opts.Dir
	if opts.Sysroot != "" {
		// The loader's path is inside the chroot: no PATH lookup, and the
		// working directory is taken after chroot.
		cmd.Path = argv[0]
		cmd.Err = nil
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: opts.Sysroot}
		if cmd.Dir == "" {
			cmd.Dir = "/"
		}
	} else if cmd.Dir == "" {
		cmd.Dir = "/"
	}
	if opts.Credential != nil {
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		cmd.SysProcAttr.Credential = opts.Credential
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.Bytes(), errb.Bytes(), ee.ExitCode(), nil
	}
	if err != nil {
		return nil, nil, 0, fmt.Errorf("oracle: %s: %v", strings.Join(argv, " "), err)
	}
	return out.Bytes(), errb.Bytes(), 0, nil
}

var (
	arrowLine  = regexp.MustCompile(`^\s*(\S.*?) => (.*?)(?: \(0x[0-9a-f]+\))?$`)
	directLine = regexp.MustCompile(`^\s*(\S.*?) \(0x[0-9a-f]+\)$`)
	vdso       = regexp.MustCompile(`^linux-(vdso|gate|vdso32|vdso64)\.so\.1$`)
	muslError  = regexp.MustCompile(`^Error loading shared library (.*?): .* \(needed by .*\)$`)
)

// parse reads the loader's listing.
func parse(stdout, stderr []byte, flavor string) (paths, missing []string) {
	for _, line := range strings.Split(string(stdout), "\n") {
		if m := arrowLine.FindStringSubmatch(line); m != nil {
			if m[2] == "not found" {
				missing = append(missing, m[1])
			} else if m[2] != "" {
				// A path found through a relative search directory
				// is printed relative: "libq.so => libq.so".
				paths = append(paths, m[2])
			}
			continue
		}
		if m := directLine.FindStringSubmatch(line); m != nil && !vdso.MatchString(m[1]) {
			// The interpreter, a name with a slash, or a name found
			// relative to the working directory: glibc prints the
			// name alone when it is also the path it opened.
			paths = append(paths, m[1])
		}
	}
	if flavor == "musl" {
		for _, line := range strings.Split(string(stderr), "\n") {
			if m := muslError.FindStringSubmatch(line); m != nil {
				missing = append(missing, m[1])
			}
		}
	}
	return paths, missing
}

// HostInfo is what the host's glibc loader says about this machine in
// `ld.so --help`: the glibc-hwcaps subdirectories it searches, best first,
// and the legacy AT_PLATFORM name it substitutes for $PLATFORM.
type HostInfo struct {
	HWCaps   []string
	Platform string
}

var (
	hwcapsLine   = regexp.MustCompile(`^\s+(\S+) \(supported, searched\)$`)
	platformLine = regexp.MustCompile(`^\s+(\S+) \(AT_PLATFORM; supported, searched\)$`)
)

// Host runs the host's loader (interp, e.g. /lib64/ld-linux-x86-64.so.2)
// with --help, which prints its settings and runs nothing else.
func Host(interp string) (HostInfo, error) {
	var h HostInfo
	if _, err := checkLoader(elfscan.HostRoot(), interp); err != nil {
		return h, err
	}
	stdout, _, _, err := run(Options{}, []string{interp, "--help"}, []string{})
	if err != nil {
		return h, err
	}
	section := ""
	for _, line := range strings.Split(string(stdout), "\n") {
		switch {
		case strings.HasPrefix(line, "Subdirectories of glibc-hwcaps"):
			section = "hwcaps"
		case strings.HasPrefix(line, "Legacy HWCAP"):
			section = "legacy"
		case !strings.HasPrefix(line, " "):
			section = ""
		}
		if m := hwcapsLine.FindStringSubmatch(line); m != nil && section == "hwcaps" {
			h.HWCaps = append(h.HWCaps, m[1])
		}
		if m := platformLine.FindStringSubmatch(line); m != nil {
			h.Platform = m[1]
		}
	}
	return h, nil
}
