package examples_test

import (
	"context"
	"fmt"
	"log"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/image"
)

// The Go API: resolve a program's libraries as the loader would, plan its
// root filesystem, write it as a directory and as an image. README.md
// shows this body as a main function; TestReadmeAPI keeps the two the same
// and TestExample runs it.
func Example() {
	// What the loader would load for curl, and why, without running it.
	graph, err := elfscan.NewResolver().Resolve("/usr/bin/curl")
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range graph.Objects() {
		fmt.Println(o.Path, o.Step)
	}
	for _, m := range graph.Missing() {
		fmt.Println("missing:", m.Name)
	}

	// Everything curl needs at run time, each entry with its reasons.
	plan, err := collector.Collect([]string{"/usr/bin/curl"})
	if err != nil {
		log.Fatal(err)
	}
	if err := collector.WriteDir(plan, "curl-rootfs"); err != nil {
		log.Fatal(err)
	}

	// The same plan as an image: a docker tarball and an OCI layout.
	img, err := image.Build(plan)
	if err != nil {
		log.Fatal(err)
	}
	digest, err := image.Write(context.Background(), img,
		image.Tarball("curl.tar", "curl:latest"),
		image.OCILayout("curl-oci", "latest"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(digest)
}
