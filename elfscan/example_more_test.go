package elfscan_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan"
)

// Open reads one ELF file's headers and dynamic section, as the loader
// does before it maps it: its kind, interpreter, SONAME and needed names.
func ExampleOpen() {
	root := exampleRoot()
	defer os.RemoveAll(root.Dir())

	f, err := elfscan.Open(root, "/usr/bin/app")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Kind, f.Interp)
	fmt.Println("needed:", f.Needed)
	fmt.Println("runpath:", f.RunPath)
	// Output:
	// dynamic /lib64/ld-linux-x86-64.so.2
	// needed: [libgreet.so.1 libc.so.6 libgone.so.1]
	// runpath: [$ORIGIN/../lib/app]
}

// Graph.Missing lists what the loader would not find, each with the chain
// of objects that needs it: why the program would not start.
func ExampleGraph_Missing() {
	root := exampleRoot()
	defer os.RemoveAll(root.Dir())

	g, err := elfscan.NewResolver(elfscan.WithRoot(root)).Resolve("/usr/bin/app")
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range g.Missing() {
		fmt.Println(m)
	}
	// Output:
	// libgone.so.1 (needed by /usr/bin/app): not found
}

// An InputLog records what a Root reads of the host, so that an answer
// computed from it can be kept and reused while nothing it read has
// changed: fromscratch's run cache replays deps this way.
func ExampleInputLog() {
	dir := exampleRoot().Dir()
	defer os.RemoveAll(dir)
	inputs := elfscan.NewInputLog()
	root, err := elfscan.NewRoot(dir, elfscan.WithInputLog(inputs))
	if err != nil {
		log.Fatal(err)
	}
	g, err := elfscan.NewResolver(elfscan.WithRoot(root)).Resolve("/usr/bin/app")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(g.Missing()), "missing")

	// Later: the answer stands while no input has changed.
	changed := false
	for _, in := range inputs.Inputs() {
		changed = changed || in.Changed()
	}
	fmt.Println("changed:", changed)
	// A library appears where the loader looked for libgone.so.1.
	os.WriteFile(filepath.Join(dir, "usr/lib/app/libgone.so.1"), nil, 0o644)
	for _, in := range inputs.Inputs() {
		if in.Stat.Err != 0 && in.Changed() {
			fmt.Println("was missing, is there now:", strings.TrimPrefix(in.Path, dir))
		}
	}
	// Output:
	// 1 missing
	// changed: false
	// was missing, is there now: /usr/lib/app/libgone.so.1
}
