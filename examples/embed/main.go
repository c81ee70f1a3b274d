// Command embed collects a program into a plan, builds its image, writes it
// as an OCI layout and prints why each file is there. A library the loader
// would not find is Collect's error: no extra code checks for it.
//
//	go run . /usr/bin/jq jq-oci
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/image"
)

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: embed PROGRAM LAYOUT-DIR")
	}
	plan, err := collector.Collect([]string{os.Args[1]})
	if err != nil {
		log.Fatal(err)
	}
	img, err := image.Build(plan)
	if err != nil {
		log.Fatal(err)
	}
	digest, err := image.Write(context.Background(), img, image.OCILayout(os.Args[2], "latest"))
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range plan.Entries {
		for _, r := range e.Reasons {
			fmt.Printf("%s: %s\n", e.Path, r)
		}
	}
	fmt.Println(digest)
}
