package elfscan_test

import (
	"encoding/binary"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan"
)

// Resolve a program inside a root filesystem (here a small made-up one: a
// builder stage's filesystem or a sysroot in real use): every path is a path
// inside the root, and nothing is executed.
func ExampleResolver_Resolve() {
	root := exampleRoot()
	defer os.RemoveAll(root.Dir())

	r := elfscan.NewResolver(elfscan.WithRoot(root))
	g, err := r.Resolve("/usr/bin/app")
	if err != nil {
		log.Fatal(err)
	}
	c := g.Closures[0]
	fmt.Println("loader rules:", c.Flavor)
	for _, o := range c.Objects {
		line := fmt.Sprintf("%s => %s [%s]", o.Name, o.Path, o.Step)
		if o.RealPath != o.Path {
			line += " -> " + o.RealPath
		}
		fmt.Println(line)
	}
	for _, m := range c.Missing {
		fmt.Printf("missing %s, needed by %s\n", m.Name, m.By.Path)
	}
	// Output:
	// loader rules: glibc
	// /usr/bin/app => /usr/bin/app [root]
	// /lib64/ld-linux-x86-64.so.2 => /lib64/ld-linux-x86-64.so.2 [interpreter] -> /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
	// libgreet.so.1 => /usr/lib/app/libgreet.so.1 [runpath]
	// libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 [default]
	// missing libgone.so.1, needed by /usr/bin/app
}

// Object.Deps give every edge of the graph, also to libraries that another
// object loaded first (libc.so.6 below libgreet.so.1, the loader below
// libc.so.6), while Parent gives the tree of first loads.
func ExampleObject_Deps() {
	root := exampleRoot()
	defer os.RemoveAll(root.Dir())

	g, err := elfscan.NewResolver(elfscan.WithRoot(root)).Resolve("/usr/bin/app")
	if err != nil {
		log.Fatal(err)
	}
	var walk func(o *elfscan.Object, depth int, seen map[*elfscan.Object]bool)
	walk = func(o *elfscan.Object, depth int, seen map[*elfscan.Object]bool) {
		for i, d := range o.Deps {
			name := o.File.Needed[i]
			switch {
			case d == nil:
				fmt.Printf("%s%s => not found\n", strings.Repeat("  ", depth), name)
			case seen[d]:
				fmt.Printf("%s%s => %s (again)\n", strings.Repeat("  ", depth), name, d.Path)
			default:
				fmt.Printf("%s%s => %s\n", strings.Repeat("  ", depth), name, d.Path)
				seen[d] = true
				walk(d, depth+1, seen)
			}
		}
	}
	c := g.Closures[0]
	fmt.Println(c.Root.Path)
	walk(c.Root, 1, map[*elfscan.Object]bool{c.Root: true, c.Interp: true})
	// Output:
	// /usr/bin/app
	//   libgreet.so.1 => /usr/lib/app/libgreet.so.1
	//     libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6
	//       ld-linux-x86-64.so.2 => /lib64/ld-linux-x86-64.so.2 (again)
	//   libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (again)
	//   libgone.so.1 => not found
}

// exampleRoot makes a root filesystem with a program, its library (found
// through RUNPATH $ORIGIN/../lib/app), libc and the loader, Debian-style.
func exampleRoot() *elfscan.Root {
	dir, err := os.MkdirTemp("", "elfscan-example")
	if err != nil {
		log.Fatal(err)
	}
	write := func(p string, data []byte) {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o755); err != nil {
			log.Fatal(err)
		}
	}
	const interp = "/lib64/ld-linux-x86-64.so.2"
	write("usr/bin/app", miniELF(interp, "", "$ORIGIN/../lib/app", "libgreet.so.1", "libc.so.6", "libgone.so.1"))
	write("usr/lib/app/libgreet.so.1", miniELF("", "libgreet.so.1", "", "libc.so.6"))
	write("lib/x86_64-linux-gnu/libc.so.6", miniELF("", "libc.so.6", "", "ld-linux-x86-64.so.2"))
	write("lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", miniELF("", "ld-linux-x86-64.so.2", ""))
	if err := os.MkdirAll(filepath.Join(dir, "lib64"), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.Symlink("../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", filepath.Join(dir, "lib64/ld-linux-x86-64.so.2")); err != nil {
		log.Fatal(err)
	}
	root, err := elfscan.NewRoot(dir)
	if err != nil {
		log.Fatal(err)
	}
	return root
}

// miniELF writes the smallest x86-64 ELF file the loaders would read: one
// PT_LOAD over the whole file, PT_INTERP if interp is set (a PIE program),
// and PT_DYNAMIC with the SONAME, RUNPATH and DT_NEEDED entries given.
func miniELF(interp, soname, runpath string, needed ...string) []byte {
	le := binary.LittleEndian
	nph := 2
	if interp != "" {
		nph = 3
	}
	off := 64 + 56*nph
	strtab := []byte{0}
	str := func(s string) uint64 {
		o := len(strtab)
		strtab = append(append(strtab, s...), 0)
		return uint64(o)
	}
	var dyn [][2]uint64
	for _, n := range needed {
		dyn = append(dyn, [2]uint64{1, str(n)}) // DT_NEEDED
	}
	if soname != "" {
		dyn = append(dyn, [2]uint64{14, str(soname)}) // DT_SONAME
	}
	if runpath != "" {
		dyn = append(dyn, [2]uint64{29, str(runpath)}) // DT_RUNPATH
	}
	if interp != "" {
		dyn = append(dyn, [2]uint64{0x6ffffffb, 0x8000000}) // DT_FLAGS_1: DF_1_PIE
	}
	interpOff := off
	off += len(interp) + 1
	strOff := off
	off += len(strtab)
	off = (off + 7) &^ 7
	dynOff := off
	dyn = append(dyn, [2]uint64{5, uint64(strOff)}, [2]uint64{10, uint64(len(strtab))}, [2]uint64{0, 0}) // DT_STRTAB, DT_STRSZ, DT_NULL
	size := dynOff + 16*len(dyn)

	b := make([]byte, size)
	copy(b, "\x7fELF\x02\x01\x01")    // 64-bit, little-endian, version 1
	le.PutUint16(b[16:], 3)           // ET_DYN
	le.PutUint16(b[18:], 62)          // EM_X86_64
	le.PutUint32(b[20:], 1)           // EV_CURRENT
	le.PutUint64(b[32:], 64)          // e_phoff
	le.PutUint16(b[52:], 64)          // e_ehsize
	le.PutUint16(b[54:], 56)          // e_phentsize
	le.PutUint16(b[56:], uint16(nph)) // e_phnum
	ph := func(i int, typ uint32, off, size int) {
		p := b[64+56*i:]
		le.PutUint32(p[0:], typ)
		le.PutUint32(p[4:], 4) // PF_R
		le.PutUint64(p[8:], uint64(off))
		le.PutUint64(p[16:], uint64(off)) // p_vaddr = p_offset
		le.PutUint64(p[24:], uint64(off))
		le.PutUint64(p[32:], uint64(size))
		le.PutUint64(p[40:], uint64(size))
		le.PutUint64(p[48:], 8)
	}
	ph(0, 1, 0, size)             // PT_LOAD
	ph(1, 2, dynOff, 16*len(dyn)) // PT_DYNAMIC
	if interp != "" {
		ph(2, 3, interpOff, len(interp)+1) // PT_INTERP
		copy(b[interpOff:], interp)
	}
	copy(b[strOff:], strtab)
	for i, d := range dyn {
		le.PutUint64(b[dynOff+16*i:], d[0])
		le.PutUint64(b[dynOff+16*i+8:], d[1])
	}
	return b
}
