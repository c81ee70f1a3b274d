// Package hostld runs the host's real dynamic loader in its listing mode
// and reads what it prints: the one place that decides which loaders may
// be started, how, and how their output reads. elfscan's
// ResolveWithHostLoader and the tests' oracle (internal/oracle) both use it.
//
// Listing mode maps the libraries and prints them without running any of
// their code: glibc's LD_TRACE_LOADED_OBJECTS (what ldd uses) and musl's
// --list. A loader is only started when its name and its file are those of
// glibc's or musl's loader (Check): anything else could run arbitrary code.
package hostld

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/fromscratch/fromscratch/internal/arch"
)

// A Flavor is the libc a loader belongs to.
type Flavor int

const (
	Glibc Flavor = iota + 1 // glibc's ld.so
	Musl                    // musl's libc, which is its loader
)

// String is "glibc" or "musl".
func (f Flavor) String() string {
	switch f {
	case Glibc:
		return "glibc"
	case Musl:
		return "musl"
	}
	return "unknown"
}

// ErrRefused is wrapped by Check's error: the interpreter is not a loader
// known to be safe to start.
var ErrRefused = errors.New("refusing to start an unknown interpreter")

var (
	// loaderDirs are where the ABIs put loaders (inside a sysroot, if any).
	loaderDirs  = []string{"/lib", "/lib64", "/lib32", "/libx32", "/usr/lib", "/usr/lib64"}
	glibcName   = regexp.MustCompile(`^(ld-linux(-[a-z0-9_]+)*\.so\.[0-9]+|ld64\.so\.[12]|ld\.so\.1)$`)
	muslName    = regexp.MustCompile(`^ld-musl-[a-z0-9_]+(-[a-z0-9]+)*\.so\.1$`)
	helpHWCaps  = regexp.MustCompile(`^\s+(\S+) \(supported, searched\)$`)
	helpAT      = regexp.MustCompile(`^\s+(\S+) \(AT_PLATFORM; supported, searched\)$`)
	arrowLine   = regexp.MustCompile(`^\s*(\S.*?) => (.*?)(?: \(0x[0-9a-f]+\))?$`)
	directLine  = regexp.MustCompile(`^\s*(\S.*?) \(0x[0-9a-f]+\)$`)
	vdso        = regexp.MustCompile(`^linux-(vdso|gate|vdso32|vdso64)\.so\.1$`)
	muslMissing = regexp.MustCompile(`(?m)^Error loading shared library (.*?): .*$`)
)

// Check tells which loader interp is, refusing (ErrRefused) anything but
// glibc's and musl's loaders in a standard loader directory: by its name,
// and by what its file is (soname, needed, interp: glibc's loaders have
// their own name as SONAME; musl's is a libc that needs nothing, with no
// SONAME or "libc.so").
func Check(interp, soname string, needed []string, hasInterp bool) (Flavor, error) {
	dir, base := path.Split(interp)
	switch {
	case !slices.Contains(loaderDirs, path.Clean(dir)):
		return 0, fmt.Errorf("%w %s: not in a standard loader directory", ErrRefused, interp)
	case muslName.MatchString(base) && !hasInterp && len(needed) == 0 && (soname == "" || soname == "libc.so"):
		return Musl, nil
	case glibcName.MatchString(base) && soname == base:
		return Glibc, nil
	}
	return 0, fmt.Errorf("%w %s (SONAME %q): not glibc's or musl's loader", ErrRefused, interp, soname)
}

// DefaultLoader is the loader that runs programs like a library with these
// ELF header values and DT_NEEDED, which has no PT_INTERP to name one:
// musl's when it needs musl's libc, else glibc's; "" if none is known.
func DefaultLoader(machine elf.Machine, class elf.Class, data elf.Data, eflags uint32, needed []string) string {
	a, ok := arch.Lookup(machine, class, data, eflags)
	if !ok {
		return ""
	}
	for _, n := range needed {
		if n == "libc.so" || strings.HasPrefix(n, "libc.musl-") {
			if a.Musl == "" {
				return ""
			}
			return "/lib/ld-musl-" + a.Musl + ".so.1"
		}
	}
	return a.Loader
}

// A Cmd is one run of a loader.
type Cmd struct {
	Argv []string // the loader and its arguments, or a program to start
	Env  []string // exactly the environment (nil is empty, never ours)
	// Dir is the working directory (inside Sysroot); default "/".
	Dir string
	// Sysroot, if set, is a root to chroot into (needs root; qemu's
	// binfmt handler for another architecture): Argv[0] is inside it.
	Sysroot string
	// Credential, if set, runs the loader as that user (needs root).
	Credential *syscall.Credential
	// Timeout bounds the run (default 30s).
	Timeout time.Duration
}

// List is the usual command for flavor's loader to list what it maps for
// file: `LOADER FILE` with LD_TRACE_LOADED_OBJECTS=1 for glibc, `LOADER
// --list FILE` for musl; LD_LIBRARY_PATH from libraryPath.
func List(flavor Flavor, loader, file string, libraryPath []string) Cmd {
	c := Cmd{Argv: []string{loader, file}, Env: []string{"LD_TRACE_LOADED_OBJECTS=1"}}
	if flavor == Musl {
		c = Cmd{Argv: []string{loader, "--list", file}, Env: []string{}}
	}
	if len(libraryPath) > 0 {
		c.Env = append(c.Env, "LD_LIBRARY_PATH="+strings.Join(libraryPath, ":"))
	}
	return c
}

// Run runs c and returns what it printed and its exit status; err is for
// a loader that could not be started or was stopped by the timeout.
func Run(c Cmd) (stdout, stderr []byte, exit int, err error) {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	cmd.Env = append([]string{}, c.Env...) // never nil: nil would inherit ours
	cmd.Dir = c.Dir
	if cmd.Dir == "" {
		cmd.Dir = "/"
	}
	if c.Sysroot != "" {
		// The loader's path is inside the chroot: no PATH lookup, and the
		// working directory is taken after chroot.
		cmd.Path, cmd.Err = c.Argv[0], nil
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: c.Sysroot}
	}
	if c.Credential != nil {
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		cmd.SysProcAttr.Credential = c.Credential
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ctx.Err() == nil {
		return out.Bytes(), errb.Bytes(), ee.ExitCode(), nil
	}
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%s: %w", strings.Join(c.Argv, " "), err)
	}
	return out.Bytes(), errb.Bytes(), 0, nil
}

// A Line is one object of the loader's listing.
type Line struct {
	Name string // as the loader names it: a DT_NEEDED name, or a path
	// Path is where the loader found it, "" if it did not (missing).
	// It is relative when found through a relative search directory.
	Path string
	// Direct is a line with a path alone, no "name =>": the interpreter,
	// or a name with a slash.
	Direct bool
}

// Parse reads the output of LD_TRACE_LOADED_OBJECTS (glibc) or --list
// (musl, which prints what it cannot find on stderr and goes on):
//
//	linux-vdso.so.1 (0x00007ffc…)            the vDSO: no file, left out
//	libz.so.1 => /lib/…/libz.so.1 (0x…)       found
//	libq.so => libq.so (0x…)                  found through a relative directory
//	libfoo.so.1 => not found                  missing
//	/lib64/ld-linux-x86-64.so.2 (0x…)         an absolute name, or the loader
func Parse(stdout, stderr []byte, flavor Flavor) []Line {
	var lines []Line
	for _, l := range strings.Split(string(stdout), "\n") {
		if m := arrowLine.FindStringSubmatch(l); m != nil {
			switch m[2] {
			case "not found":
				lines = append(lines, Line{Name: m[1]})
			case "":
			default:
				lines = append(lines, Line{Name: m[1], Path: m[2]})
			}
			continue
		}
		if m := directLine.FindStringSubmatch(l); m != nil && !vdso.MatchString(m[1]) {
			// glibc prints the name alone when it is also the path it
			// opened.
			lines = append(lines, Line{Name: m[1], Path: m[1], Direct: true})
		}
	}
	if flavor == Musl {
		for _, m := range muslMissing.FindAllSubmatch(stderr, -1) {
			lines = append(lines, Line{Name: string(m[1])})
		}
	}
	return lines
}

// Help is what glibc's loader says about this machine in `ld.so --help`:
// the glibc-hwcaps subdirectories it searches, best first, and the legacy
// AT_PLATFORM name it substitutes for $PLATFORM.
type Help struct {
	HWCaps   []string
	Platform string
}

// ParseHelp reads the output of `ld.so --help`.
func ParseHelp(stdout []byte) Help {
	var h Help
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
		if m := helpHWCaps.FindStringSubmatch(line); m != nil && section == "hwcaps" {
			h.HWCaps = append(h.HWCaps, m[1])
		}
		if m := helpAT.FindStringSubmatch(line); m != nil {
			h.Platform = m[1]
		}
	}
	return h
}
