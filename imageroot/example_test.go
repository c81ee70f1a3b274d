package imageroot_test

import (
	"context"
	"fmt"
	"log"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/image"
	"github.com/fromscratch/fromscratch/imageroot"
)

// Minify an image held as a go-containerregistry v1.Image: stage it,
// collect its command in it, build the minimal image that keeps its
// run-time config.
func Example() {
	ctx := context.Background()
	src, err := image.LoadSource(ctx, "localhost:5000/app:1", nil)
	if err != nil {
		log.Fatal(err)
	}
	staged, err := imageroot.New(src, imageroot.WithContext(ctx))
	if err != nil {
		log.Fatal(err)
	}
	defer staged.Close()
	argv, err := staged.Command()
	if err != nil {
		log.Fatal(err)
	}
	plan, err := collector.Collect(argv[:1], collector.WithRoot(staged.Root()))
	if err != nil {
		log.Fatal(err)
	}
	img, err := image.Build(plan, image.WithSource("localhost:5000/app:1", staged.Digest(), staged.Config()))
	if err != nil {
		log.Fatal(err)
	}
	digest, err := image.Write(ctx, img, image.Registry("localhost:5000/app:1-min"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(digest)
}
