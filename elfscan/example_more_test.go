package elfscan_test

import (
	"fmt"
	"log"
	"os"

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
