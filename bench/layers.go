package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/image"
)

// layersSection writes curl's image to a docker tarball with
// --layering auto and with one layer, and compares the times and sizes.
func layersSection(c *config) error {
	fmt.Printf("== layers of %s: image.Build(WithLayering(LayeringAuto)) + image.Write(Tarball) against the single-layer image ==\n", curl)
	plan, err := collector.Collect([]string{curl})
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "fromscratch-bench-layers-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ctx := context.Background()
	sizes := map[string]int64{} // tarball bytes by contender
	contenderOf := func(name string, l image.Layering) *contender {
		out := func(round int) string { return filepath.Join(tmp, fmt.Sprintf("%s-%d.tar", name, round+1)) }
		c := &contender{name: name, warm: true}
		c.run = func(round int) error {
			img, err := image.Build(plan, image.WithLayering(l))
			if err != nil {
				return err
			}
			if _, err := image.Write(ctx, img, image.Tarball(out(round), "fromscratch-bench:latest")); err != nil {
				return err
			}
			if round == 0 {
				n, size, err := layerBytes(img)
				if err != nil {
					return err
				}
				c.note = fmt.Sprintf("%d layers, %s compressed", n, mb(size))
			}
			return nil
		}
		c.after = func(round int) error {
			if round == 0 {
				fi, err := os.Stat(out(round))
				if err != nil {
					return err
				}
				c.note += fmt.Sprintf("; tarball %s", mb(fi.Size()))
				sizes[name] = fi.Size()
			}
			return os.Remove(out(round))
		}
		return c
	}
	auto := contenderOf("--layering auto", image.LayeringAuto)
	none := contenderOf("--layering none", image.LayeringNone)
	if err := interleave(c.rounds, auto, none); err != nil {
		return err
	}
	table(auto, none)
	printRatio("auto / none", auto, none)
	fmt.Printf("  %-*s %.3f× (tarball bytes)\n", labelWidth, "size auto / none:", float64(sizes[auto.name])/float64(sizes[none.name]))
	return nil
}

// layerBytes is the number of layers of img and their compressed size.
func layerBytes(img v1.Image) (int, int64, error) {
	layers, err := img.Layers()
	if err != nil {
		return 0, 0, err
	}
	var total int64
	for _, l := range layers {
		n, err := l.Size()
		if err != nil {
			return 0, 0, err
		}
		total += n
	}
	return len(layers), total, nil
}
