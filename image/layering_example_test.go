package image_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/image"
)

// libcPlan is a plan made by hand with a libc and one program.
func libcPlan(program string) *collector.Plan {
	return &collector.Plan{
		Entries: []collector.Entry{
			{Path: "/usr", Kind: collector.Dir, Mode: 0o755},
			{Path: "/usr/bin", Kind: collector.Dir, Mode: 0o755},
			{Path: "/usr/bin/" + program, Kind: collector.File, Mode: 0o755, Data: []byte(program)},
			{Path: "/usr/lib", Kind: collector.Dir, Mode: 0o755},
			{Path: "/usr/lib/libc.so.6", Kind: collector.File, Mode: 0o755, Data: []byte("libc")},
		},
		Programs: []string{"/usr/bin/" + program},
		Platform: collector.Platform{OS: "linux", Architecture: "amd64"},
	}
}

// Images of two programs share their libc layer.
func ExampleWithLayering() {
	for _, program := range []string{"hello", "bye"} {
		img, err := image.Build(libcPlan(program), image.WithLayering(image.LayeringAuto))
		if err != nil {
			log.Fatal(err)
		}
		layers, err := img.Layers()
		if err != nil {
			log.Fatal(err)
		}
		libc, _ := layers[0].Digest()
		top, _ := layers[1].Digest()
		fmt.Println(program, libc.Hex[:12], top.Hex[:12])
	}
	// Output:
	// hello c8d152c2656b 200c69fb0e2f
	// bye c8d152c2656b 97ab4711467e
}

// An index of one image per platform, written to an OCI layout.
func ExampleBuildIndex() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	amd64, arm64 := libcPlan("hello"), libcPlan("hello")
	arm64.Platform.Architecture = "arm64"
	idx, err := image.BuildIndex([]*collector.Plan{amd64, arm64})
	if err != nil {
		log.Fatal(err)
	}
	digest, err := image.WriteIndex(context.Background(), idx, image.OCILayout(filepath.Join(dir, "oci"), "latest"))
	if err != nil {
		log.Fatal(err)
	}
	m, _ := idx.IndexManifest()
	for _, d := range m.Manifests {
		fmt.Println(d.Platform.Architecture)
	}
	fmt.Println(digest.Algorithm)
	// Output:
	// amd64
	// arm64
	// sha256
}
