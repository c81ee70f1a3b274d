package elfscan_test

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/elfscan"
)

// A program the kernel's execve refuses (a PT_INTERP without its NUL, or
// too short, or empty; a program header table too large or empty) is a
// one-line error naming the file and why, never a closure: the kernel is
// the judge, each variant is exec'd and Open must refuse exactly those
// the kernel refuses.
func TestKernelRefusedProgramsAreRefused(t *testing.T) {
	b := newBuilder(t, "gcc")
	prog := b.exe("prog")
	src, err := os.ReadFile(prog)
	if err != nil {
		t.Fatal(err)
	}
	bo := binary.LittleEndian
	phoff, phnum := bo.Uint64(src[32:]), int(bo.Uint16(src[56:]))
	const phent = 56
	// interp is the index of the PT_INTERP header, note of a PT_NOTE.
	interp, note := -1, -1
	for i := range phnum {
		switch elf.ProgType(bo.Uint32(src[phoff+uint64(i)*phent:])) {
		case elf.PT_INTERP:
			interp = i
		case elf.PT_NOTE:
			note = i
		}
	}
	if interp < 0 || note < 0 {
		t.Fatalf("%s: no PT_INTERP or PT_NOTE", prog)
	}
	ph := func(b []byte, i int) []byte { return b[bo.Uint64(b[32:])+uint64(i)*phent:] }
	setFilesz := func(n uint64) func([]byte) []byte {
		return func(b []byte) []byte { bo.PutUint64(ph(b, interp)[32:], n); return b }
	}
	moveTable := func(n int) func([]byte) []byte {
		return func(b []byte) []byte { return withPhdrs(b, n) }
	}
	interpOff, interpSize := bo.Uint64(ph(src, interp)[8:]), bo.Uint64(ph(src, interp)[32:])
	for _, c := range []struct {
		name   string
		edit   func([]byte) []byte
		refuse string // in Open's error; "" = runs
	}{
		{"unchanged", func(b []byte) []byte { return b }, ""},
		{"interp-without-nul", setFilesz(interpSize - 1), "PT_INTERP does not end with a NUL"},
		{"interp-size-0", setFilesz(0), "PT_INTERP is 0 bytes"},
		{"interp-size-1", setFilesz(1), "PT_INTERP is 1 bytes"},
		{"interp-empty", func(b []byte) []byte { b[interpOff] = 0; return b }, "PT_INTERP is an empty path"},
		// The kernel takes the first PT_INTERP: a second one, garbage, is
		// never read.
		{"second-interp", func(b []byte) []byte {
			bo.PutUint32(ph(b, note), uint32(elf.PT_INTERP))
			bo.PutUint64(ph(b, note)[32:], 3)
			return b
		}, ""},
		{"no-program-headers", func(b []byte) []byte { bo.PutUint16(b[56:], 0); return b }, "no program headers"},
		{"phnum-at-limit", moveTable(65536 / phent), ""},
		{"phnum-over-limit", moveTable(65536/phent + 1), "1171 program headers"},
		{"phnum-65535", moveTable(65535), "65535 program headers"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(b.dir, c.name)
			if err := os.WriteFile(p, c.edit(append([]byte(nil), src...)), 0o755); err != nil {
				t.Fatal(err)
			}
			// The judge: does execve start it? What it does once started
			// (a moved table may crash it) is not the question.
			cmd := exec.Command(p)
			err := cmd.Start()
			runs := err == nil
			if runs {
				cmd.Wait()
			}
			if runs != (c.refuse == "") {
				t.Fatalf("the kernel runs it: %v; the test expects %q", runs, c.refuse)
			}

			root, err := elfscan.NewRoot("/")
			if err != nil {
				t.Fatal(err)
			}
			f, err := elfscan.Open(root, p)
			if c.refuse == "" {
				if err != nil {
					t.Fatalf("Open: %v, but the kernel runs it", err)
				}
				if f.Interp != hostInterp {
					t.Errorf("Interp %q, want the first PT_INTERP %q", f.Interp, hostInterp)
				}
				return
			}
			if err == nil {
				t.Fatalf("Open accepted a program the kernel refuses (kind %s, interp %q)", f.Kind, f.Interp)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "elfscan: "+p+": ") || !strings.Contains(msg, c.refuse) || !strings.Contains(msg, "kernel") || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming %s, %q and the kernel", msg, p, c.refuse)
			}
			var fe *elfscan.FormatError
			if !errors.As(err, &fe) {
				t.Errorf("error %T, want a *FormatError", err)
			}
			if _, err := elfscan.NewResolver(elfscan.WithRoot(root)).Resolve(p); err == nil {
				t.Errorf("Resolve accepted it")
			}
		})
	}

	// A library is loaded by ld.so, not exec'd: the same faults do not
	// stop it (glibc reads any number of program headers).
	lib := b.lib("libmany.so", "libmany.so")
	lb, err := os.ReadFile(lib)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lib, withPhdrs(lb, 2000), 0o755); err != nil {
		t.Fatal(err)
	}
	root, _ := elfscan.NewRoot("/")
	if f, err := elfscan.Open(root, lib); err != nil || f.Kind != elfscan.KindShared {
		t.Errorf("a library with 2000 program headers: %v, %v; want a shared library", f, err)
	}
}

// The kernel maps the interpreter with the program's limits: one with a
// program header table over 64 KiB stops execve, and the emulation says
// the interpreter is not loadable, naming why; at the limit it runs.
func TestKernelRefusedInterpreterIsMissing(t *testing.T) {
	b := newBuilder(t, "gcc")
	real, err := filepath.EvalSymlinks(hostInterp)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	const phent = 56
	for _, c := range []struct {
		n      int
		refuse bool
	}{{65536 / phent, false}, {65536/phent + 1, true}} {
		ld := b.path(fmt.Sprintf("ld-%d.so", c.n))
		if err := os.WriteFile(ld, withPhdrs(src, c.n), 0o755); err != nil {
			t.Fatal(err)
		}
		prog := b.exe(fmt.Sprintf("prog-%d", c.n), "-Wl,--dynamic-linker="+ld)
		cmd := exec.Command(prog)
		runs := cmd.Start() == nil
		if runs {
			cmd.Wait()
		}
		if runs == c.refuse {
			t.Fatalf("%d program headers in the interpreter: the kernel runs the program: %v", c.n, runs)
		}
		g, err := elfscan.NewResolver().Resolve(prog)
		if err != nil {
			t.Fatalf("Resolve: %v", err)
		}
		cl := g.Closures[0]
		switch {
		case c.refuse && (cl.Interp != nil || len(cl.Missing) != 1 || cl.Missing[0].Name != ld ||
			!strings.Contains(cl.Missing[0].Reason, fmt.Sprintf("%d program headers", c.n))):
			t.Errorf("%d program headers: interpreter %v, missing %+v; want it not loadable, saying why", c.n, cl.Interp, cl.Missing)
		case !c.refuse && (cl.Interp == nil || len(cl.Missing) != 0):
			t.Errorf("%d program headers: interpreter %v, missing %+v; want it loaded", c.n, cl.Interp, cl.Missing)
		}
	}
}

// withPhdrs returns a copy of the 64-bit little-endian ELF file b whose
// program header table is moved to the end and grown to n entries (the
// new ones PT_NULL).
func withPhdrs(b []byte, n int) []byte {
	const phent = 56
	bo := binary.LittleEndian
	phoff, phnum := bo.Uint64(b[32:]), int(bo.Uint16(b[56:]))
	table := b[phoff : phoff+uint64(phnum)*phent]
	off := uint64(len(b)+7) &^ 7
	out := append(append([]byte(nil), b...), make([]byte, off-uint64(len(b)))...)
	out = append(append(out, table...), make([]byte, (n-phnum)*phent)...)
	bo.PutUint64(out[32:], off)
	bo.PutUint16(out[56:], uint16(n))
	return out
}
