package image_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/image"
)

// helloPlan is a plan made by hand of generated files only.
func helloPlan() *collector.Plan {
	return &collector.Plan{
		Entries: []collector.Entry{
			{Path: "/etc", Kind: collector.Dir, Mode: 0o755},
			{Path: "/etc/hello", Kind: collector.File, Mode: 0o644, Data: []byte("hello\n")},
			{Path: "/etc/hi", Kind: collector.Symlink, Mode: 0o777, Target: "hello"},
		},
		Programs: []string{"/bin/hello"},
		Platform: collector.Platform{OS: "linux", Architecture: "amd64"},
	}
}

// Build an image of a plan and write it to a new OCI layout: the digest
// depends on nothing but the plan and the options.
func Example() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	img, err := image.Build(helloPlan(), image.WithEnv("GREETING=hello"))
	if err != nil {
		log.Fatal(err)
	}
	digest, err := image.Write(context.Background(), img, image.OCILayout(filepath.Join(dir, "oci"), "latest"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(digest)
	// Output:
	// sha256:4ae6e2690b3aca3bbd1ac46d8f27c5af9caf9ebf5d25719d967c832d435e28da
}

// The layer alone: its digest (compressed) and diff ID (uncompressed).
func ExampleLayer() {
	layer, err := image.Layer(helloPlan())
	if err != nil {
		log.Fatal(err)
	}
	digest, _ := layer.Digest()
	diffID, _ := layer.DiffID()
	size, _ := layer.Size()
	fmt.Println(digest)
	fmt.Println(diffID)
	fmt.Println(size)
	// Output:
	// sha256:80365ee558ebb391e1eb7e0a87de196d2f3e262072c3432159ee51225bf07a2d
	// sha256:0b76c9e51f15d9496ac3d17d44bbce4f5c68d9585750b1ae7f5f7db5ded3b7a6
	// 172
}

// The same plan as an uncompressed tar, as `--tar` writes it.
func ExampleWriteTar() {
	var buf bytes.Buffer
	if err := image.WriteTar(helloPlan(), &buf); err != nil {
		log.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%c %04o %d:%d %s %d %s\n", hdr.Typeflag, hdr.Mode, hdr.Uid, hdr.Gid, hdr.ModTime.UTC().Format(time.DateOnly), hdr.Size, hdr.Name)
	}
	// Output:
	// 5 0755 0:0 1970-01-01 0 etc/
	// 0 0644 0:0 1970-01-01 6 etc/hello
	// 2 0777 0:0 1970-01-01 0 etc/hi
}

// Build on a base image, here read from an OCI layout: its layers, then
// the plan's; its environment, then the plan's.
func ExampleLoadBase() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	base, err := image.Build(helloPlan(), image.WithEnv("FROM=base"))
	if err != nil {
		log.Fatal(err)
	}
	if err := image.WriteOCILayout(base, filepath.Join(dir, "base"), "v1"); err != nil {
		log.Fatal(err)
	}

	plan := helloPlan()
	plan.Programs = []string{"/bin/app"}
	b, err := image.LoadBase(context.Background(), filepath.Join(dir, "base")+":v1", plan.Platform)
	if err != nil {
		log.Fatal(err)
	}
	img, err := image.Build(plan, image.WithBase(b))
	if err != nil {
		log.Fatal(err)
	}
	layers, _ := img.Layers()
	cf, _ := img.ConfigFile()
	fmt.Println(len(layers), cf.Config.Entrypoint, cf.Config.Env)
	// Output:
	// 2 [/bin/app] [PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin FROM=base]
}

// SOURCE_DATE_EPOCH sets the time of every file and of the config.
func ExampleParseSourceDateEpoch() {
	t, err := image.ParseSourceDateEpoch("1700000000") // os.Getenv("SOURCE_DATE_EPOCH")
	if err != nil {
		log.Fatal(err)
	}
	img, err := image.Build(helloPlan(), image.WithTime(t))
	if err != nil {
		log.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	fmt.Println(cf.Created.UTC(), cf.History[0].CreatedBy)
	// Output:
	// 2023-11-14 22:13:20 +0000 UTC fromscratch
}
