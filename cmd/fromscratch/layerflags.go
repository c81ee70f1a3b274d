package main

import (
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/image"
)

// layerFlags are the image flags of layers and of multi-platform indexes.
type layerFlags struct {
	layering      string
	platformRoots []string
}

func (f *layerFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.layering, "layering", "none", "`HOW` to split the image into layers: none (one layer) or auto (the loader and libc, each well-known shared library, the rest: images of one root share what they both hold)")
	fs.StringArrayVar(&f.platformRoots, "platform-root", nil, "also build the FILEs from the root DIR for PLATFORM (OS/ARCH[/VARIANT]), `PLATFORM=DIR`, and write one image index of all of them (to --tarball, the host's image); repeatable")
}

// options adds the layering to opts and checks the flags that an index
// excludes.
func (f *layerFlags) options(opts []image.Option, img *imageFlags) ([]image.Option, error) {
	l, err := image.ParseLayering(f.layering)
	if err != nil {
		return nil, usageError{fmt.Errorf("--layering %q: want none or auto", f.layering)}
	}
	if len(f.platformRoots) > 0 {
		switch {
		case img.platform != "":
			return nil, usageError{fmt.Errorf("--platform and --platform-root exclude each other: each root's platform is in its --platform-root")}
		case len(img.sbom.specs) > 0:
			return nil, usageError{fmt.Errorf("--sbom and --platform-root cannot be combined yet")}
		}
	}
	return append(opts, image.WithLayering(l)), nil
}

// platformRoot is one --platform-root.
type platformRoot struct {
	platform collector.Platform
	dir      string
}

func (f *layerFlags) parseRoots() ([]platformRoot, error) {
	var out []platformRoot
	seen := map[string]bool{}
	for _, arg := range f.platformRoots {
		ps, dir, ok := strings.Cut(arg, "=")
		p, err := v1.ParsePlatform(ps)
		if !ok || dir == "" || err != nil || p.OS == "" || p.Architecture == "" {
			return nil, usageError{fmt.Errorf("--platform-root %q: want OS/ARCH[/VARIANT]=DIR", arg)}
		}
		pl := collector.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
		if seen[pl.String()] {
			return nil, usageError{fmt.Errorf("--platform-root: %s given twice", pl)}
		}
		seen[pl.String()] = true
		out = append(out, platformRoot{pl, dir})
	}
	return out, nil
}

// runIndex collects the FILEs from each --platform-root, builds their
// images and writes the index.
func (f *layerFlags) runIndex(cf *collectFlags, fs *pflag.FlagSet, opts []image.Option, outs []image.Output, base string, quiet bool) error {
	roots, err := f.parseRoots()
	if err != nil {
		return err
	}
	switch {
	case fs.Changed("root"):
		return usageError{fmt.Errorf("--root and --platform-root exclude each other")}
	case cf.from != "":
		return usageError{fmt.Errorf("--from and --platform-root cannot be combined yet")}
	case cf.checks.on():
		return usageError{fmt.Errorf("--check and --platform-root cannot be combined yet")}
	}
	var plans []*collector.Plan
	for _, r := range roots {
		cf.root = r.dir
		plan, err := cf.plan(fs)
		if err != nil {
			return fmt.Errorf("%s: %w", r.platform, err)
		}
		if err := cf.checkPlan(plan); err != nil {
			return fmt.Errorf("%s: %w", r.platform, err)
		}
		if p := plan.Platform; p.OS != r.platform.OS || p.Architecture != r.platform.Architecture {
			return fmt.Errorf("--platform-root %s=%s: the programs there are %s", r.platform, r.dir, p)
		}
		plan.Platform = r.platform // with its variant, if given
		plans = append(plans, plan)
	}
	// Each image on the base's image of its platform, if any.
	imgs := make([]v1.Image, len(plans))
	lefts := make([]leftOut, len(plans))
	for i, plan := range plans {
		popts := append(opts, image.WithLeftOut(lefts[i].add))
		if base != "" {
			b, err := image.LoadBase(cf.ses.ctx, base, plan.Platform)
			if err != nil {
				return err
			}
			popts = append(popts, image.WithBase(b))
		}
		if imgs[i], err = image.Build(plan, popts...); err != nil {
			return fmt.Errorf("%s: %w", plan.Platform, err)
		}
	}
	idx, err := image.Index(imgs...)
	if err != nil {
		return err
	}
	digest, err := image.WriteIndex(cf.ses.ctx, idx, outs...)
	if err != nil {
		return err
	}
	for i, p := range plans {
		lefts[i].print(cf.ses.errw, base+" ("+p.Platform.String()+")", quiet)
		cf.ses.printWarnings(p)
	}
	if !quiet {
		fmt.Fprintln(cf.ses.out, digest)
	}
	return nil
}

// leftOut counts the files that the base has already.
type leftOut struct {
	n     int
	bytes int64
}

func (l *leftOut) add(e collector.Entry) {
	l.n++
	l.bytes += e.Size
}

// print says how many files the base had already.
func (l *leftOut) print(errw io.Writer, base string, quiet bool) {
	if l.n == 0 || quiet {
		return
	}
	fmt.Fprintf(errw, "fromscratch: left out %d file%s and link%s (%.1f MB) that the base %s has already\n",
		l.n, plural(l.n, "", "s"), plural(l.n, "", "s"), float64(l.bytes)/1e6, base)
}
