package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/image"
	"github.com/fromscratch/fromscratch/sbom"
)

// sbomSection prices the SBOMs: curl's image (with --package-metadata)
// written to an OCI layout, plain and with its SPDX and CycloneDX SBOMs
// made and attached as referrers, and the SBOMs alone; as ratios to the
// plain image.
func sbomSection(c *config) error {
	fmt.Printf("== SBOM of %s: sbom.New + Encode(SPDX, CycloneDX) + image.WithSBOM, against image.Build + image.Write(OCILayout) alone ==\n", curl)
	plan, err := collector.Collect([]string{curl}, collector.WithPackageMetadata())
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "fromscratch-bench-sbom-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ctx := context.Background()
	epoch := time.Unix(0, 0)
	formats := []sbom.Format{sbom.SPDX, sbom.CycloneDX}
	var sizes [2]int
	sboms := func() ([]image.Option, error) {
		s, err := sbom.New(plan, sbom.WithTime(epoch))
		if err != nil {
			return nil, err
		}
		var opts []image.Option
		for i, f := range formats {
			var buf bytes.Buffer
			if err := s.Encode(&buf, f); err != nil {
				return nil, err
			}
			sizes[i] = buf.Len()
			opts = append(opts, image.WithSBOM(f.MediaType(), buf.Bytes()))
		}
		return opts, nil
	}
	write := func(name string, round int, opts []image.Option) error {
		img, err := image.Build(plan, opts...)
		if err != nil {
			return err
		}
		dir := filepath.Join(tmp, fmt.Sprintf("%s-%d", name, round+1))
		defer os.RemoveAll(dir)
		_, err = image.Write(ctx, img, image.OCILayout(dir, "bench:latest"))
		return err
	}
	plain := &contender{name: "image", warm: true,
		run: func(round int) error { return write("plain", round, nil) }}
	with := &contender{name: "image + SBOMs", warm: true,
		run: func(round int) error {
			opts, err := sboms()
			if err != nil {
				return err
			}
			return write("sbom", round, opts)
		}}
	alone := &contender{name: "SBOMs alone", warm: true,
		run: func(int) error { _, err := sboms(); return err }}
	if err := interleave(c.rounds, plain, with, alone); err != nil {
		return err
	}
	pkgs, err := plan.Packages()
	if err != nil {
		return err
	}
	files := 0
	for _, e := range plan.Entries {
		if e.Kind == collector.File {
			files++
		}
	}
	alone.note = fmt.Sprintf("%d packages, %d files: SPDX %s, CycloneDX %s", len(pkgs), files, mb(int64(sizes[0])), mb(int64(sizes[1])))
	table(plain, with, alone)
	printRatio("image + SBOMs / image", with, plain)
	printRatio("SBOMs alone / image", alone, plain)
	return nil
}
