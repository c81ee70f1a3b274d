package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/image"
)

// imageSection writes curl's image to a docker tarball and compares it
// with the floor: tar of the plan's files piped to gzip -1.
func imageSection(c *config) error {
	fmt.Printf("== image of %s: image.Build + image.Write(Tarball) of its plan against `tar -c FILES | gzip -1 > /dev/null` of the plan's files ==\n", curl)
	plan, err := collector.Collect([]string{curl})
	if err != nil {
		return err
	}
	var files []string
	generated := 0
	for _, e := range plan.Entries {
		if e.Kind != collector.File {
			continue
		}
		if e.Source == "" {
			generated++ // passwd, group…: no file to give tar
			continue
		}
		files = append(files, plan.Root.HostPath(e.Source))
	}
	tmp, err := os.MkdirTemp("", "fromscratch-bench-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	var tarballSize, layerSize int64
	ctx := context.Background()
	out := func(round int) string { return filepath.Join(tmp, fmt.Sprintf("curl-%d.tar", round+1)) }
	ours := &contender{name: "fromscratch", warm: true,
		run: func(round int) error {
			img, err := image.Build(plan)
			if err != nil {
				return err
			}
			if _, err := image.Write(ctx, img, image.Tarball(out(round), "fromscratch-bench:latest")); err != nil {
				return err
			}
			if round == 0 {
				layers, err := img.Layers()
				if err != nil {
					return err
				}
				if len(layers) != 1 {
					return fmt.Errorf("%d layers, want 1", len(layers))
				}
				if layerSize, err = layers[0].Size(); err != nil {
					return err
				}
			}
			return nil
		},
		after: func(round int) error {
			if round == 0 {
				fi, err := os.Stat(out(round))
				if err != nil {
					return err
				}
				tarballSize = fi.Size()
			}
			return os.Remove(out(round))
		},
	}
	floor := &contender{name: "tar -c | gzip -1", warm: true, peer: true,
		run: func(int) error { return tarGzip(files, nil) },
	}
	if err := interleave(c.rounds, ours, floor); err != nil {
		return err
	}

	// Sizes, untimed.
	var tarBytes counter
	if err := image.WriteTar(plan, &tarBytes); err != nil {
		return err
	}
	ours.note = fmt.Sprintf("layer: %s uncompressed (WriteTar), %s gzip'd; tarball %s", mb(int64(tarBytes)), mb(layerSize), mb(tarballSize))
	if floor.ok() {
		var gz counter
		if err := tarGzip(files, &gz); err != nil {
			return err
		}
		n, err := tarSize(files)
		if err != nil {
			return err
		}
		floor.note = fmt.Sprintf("%d files (not the %d generated ones): tar %s, gzip -1 %s", len(files), generated, mb(n), mb(int64(gz)))
	}
	table(ours, floor)
	if r, ok := printRatio("fromscratch / tar|gzip -1", ours, floor); ok {
		verdict("≤ 1× the tar | gzip -1 floor", r.wall <= 1, r.wall)
	}
	return nil
}

// tarGzip runs `tar -c FILES | gzip -1`, gzip's output going to w (nil:
// the null device).
func tarGzip(files []string, w io.Writer) error {
	tar := exec.Command("tar", append([]string{"-cPf", "-"}, files...)...)
	gz := exec.Command("gzip", "-1")
	r, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	tar.Stdout, gz.Stdin, gz.Stdout = pw, r, w
	errStart := gz.Start()
	if errStart == nil {
		if errStart = tar.Start(); errStart != nil {
			pw.Close()
			gz.Wait()
		}
	}
	// Only the children hold the pipe now.
	r.Close()
	pw.Close()
	if errStart != nil {
		return errStart
	}
	errTar, errGz := tar.Wait(), gz.Wait()
	if errTar != nil {
		return fmt.Errorf("tar: %w", errTar)
	}
	if errGz != nil {
		return fmt.Errorf("gzip: %w", errGz)
	}
	return nil
}

// tarSize is the size of `tar -c FILES`.
func tarSize(files []string) (int64, error) {
	var n counter
	tar := exec.Command("tar", append([]string{"-cPf", "-"}, files...)...)
	tar.Stdout = &n
	err := tar.Run()
	return int64(n), err
}

// counter counts the bytes written to it.
type counter int64

func (c *counter) Write(p []byte) (int, error) {
	*c += counter(len(p))
	return len(p), nil
}
