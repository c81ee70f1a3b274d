package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/image"
)

var imageCommand = &command{
	name:  "image",
	args:  "[flags] FILE...   or   --trace [flags] PROG [FILE...] -- ARGS...",
	short: "write an OCI image of FILE: layout, docker tarball or registry",
	long: `Collects FILE as 'rootfs' does and writes it as one image layer (or the
shared layers of --layering auto), on an empty image (FROM scratch) or on
--base, leaving out what the base has already, to any combination of an OCI
layout (--oci-layout), a tarball that 'docker load' reads (--tarball) and a
registry (--push). Prints the image digest. With --platform-root, writes one
image index of the FILEs of each root. A library the loader would not find
is an error (exit 1, nothing written) unless --allow-missing.

The same inputs give the same digest: the image's creation time is
$SOURCE_DATE_EPOCH (or --source-date-epoch, default 0), and no file's time
is later than it (older files keep theirs, as tar --clamp-mtime does).`,
	flags: func(fs *pflag.FlagSet) func(*session, []string) error {
		var cf collectFlags
		var f imageFlags
		f.register(fs)
		cf.register(fs)
		return func(s *session, _ []string) error {
			cf.ses = s
			defer cf.closeFrom()
			return f.run(&cf, fs)
		}
	},
}

type imageFlags struct {
	ociLayout, tarball, tag, push, base, digestFile string
	platform, user, compression, epoch              string
	entrypoint, cmd                                 []string
	env, labels, annotations                        []string
	nonroot, quiet                                  bool
	entrypointSet, cmdSet                           bool
	layers                                          layerFlags
	sbom                                            sbomFlags
}

func (f *imageFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.ociLayout, "oci-layout", "", "write to the OCI image layout `DIR` (created, or appended to)")
	fs.StringVar(&f.tarball, "tarball", "", "write a tarball that 'docker load' reads to `FILE`")
	fs.StringVar(&f.tag, "tag", "", "the image's name `REF` in the tarball and the layout (default fromscratch:latest)")
	fs.StringVar(&f.push, "push", "", "push to the registry `REF` (credentials from docker login; plain HTTP for localhost)")
	fs.StringVar(&f.digestFile, "digest-file", "", "write the image digest to `FILE`")
	fs.StringVar(&f.base, "base", "", "build on the image `REF`: a registry reference, an OCI layout DIR[:TAG] or a docker tarball FILE[:TAG] (default: scratch)")
	fs.StringVar(&f.platform, "platform", "", "the image's `OS/ARCH[/VARIANT]` (default: from the programs' ELF headers); with --from, also the image picked from an index (default: this machine's, or the only one)")
	fs.StringSliceVar(&f.entrypoint, "entrypoint", nil, "the entrypoint, `ARGS` comma-separated (default: the first program)")
	fs.StringSliceVar(&f.cmd, "cmd", nil, "the default arguments, `ARGS` comma-separated")
	fs.StringArrayVar(&f.env, "env", nil, "set `KEY=VALUE` in the image's environment (default PATH, and SSL_CERT_FILE when certificates were added); repeatable")
	fs.StringVar(&f.user, "user", "", "run as `USER[:GROUP]` (numeric ids work in any image)")
	fs.BoolVar(&f.nonroot, "nonroot", false, "run as 65532:65532 (nonroot)")
	fs.StringArrayVar(&f.labels, "label", nil, "a config label `KEY=VALUE`; repeatable")
	fs.StringArrayVar(&f.annotations, "annotation", nil, "a manifest annotation `KEY=VALUE`; repeatable")
	fs.StringVar(&f.compression, "compression", "gzip", "layer compression: `gzip` or zstd")
	fs.StringVar(&f.epoch, "source-date-epoch", "", "time of the image, in `SECONDS` since 1970, and the clamp of file times: older files keep theirs, the rest get it (default $SOURCE_DATE_EPOCH, else 0)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print nothing but errors (not even the digest)")
	f.layers.register(fs)
	f.sbom.register(fs)
}

func (f *imageFlags) run(cf *collectFlags, fs *pflag.FlagSet) error {
	f.entrypointSet, f.cmdSet = fs.Changed("entrypoint"), fs.Changed("cmd")
	if f.ociLayout == "" && f.tarball == "" && f.push == "" {
		return usageError{fmt.Errorf("say where to write the image: --oci-layout DIR, --tarball FILE or --push REF")}
	}
	if f.nonroot && f.user != "" {
		return usageError{fmt.Errorf("--nonroot and --user exclude each other")}
	}
	mtime, err := sourceDateEpoch(f.epoch)
	if err != nil {
		return err
	}
	if err := f.sbom.parse(); err != nil {
		return err
	}
	var opts []image.Option
	opts = append(opts, image.WithTime(mtime))
	switch f.compression {
	case "gzip":
	case "zstd":
		opts = append(opts, image.WithCompression(compression.ZStd))
	default:
		return usageError{fmt.Errorf("--compression %q: want gzip or zstd", f.compression)}
	}
	var platform *collector.Platform
	if f.platform != "" {
		p, err := v1.ParsePlatform(f.platform)
		if err != nil || p.OS == "" || p.Architecture == "" {
			return usageError{fmt.Errorf("--platform %q: want OS/ARCH[/VARIANT]", f.platform)}
		}
		platform = &collector.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
	}
	labels, err := keyValues("--label", f.labels)
	if err != nil {
		return err
	}
	annotations, err := keyValues("--annotation", f.annotations)
	if err != nil {
		return err
	}
	for _, e := range f.env {
		if !strings.Contains(e, "=") {
			return usageError{fmt.Errorf("--env %q: want KEY=VALUE", e)}
		}
	}
	tag := f.tag
	if tag == "" {
		tag = "fromscratch:latest"
	}
	var outs []image.Output
	var attachedBy image.ReferrersMethod // how --push attached the SBOMs
	if f.ociLayout != "" {
		outs = append(outs, image.OCILayout(f.ociLayout, tag))
	}
	if f.tarball != "" {
		outs = append(outs, image.Tarball(f.tarball, tag))
	}
	if f.push != "" {
		var popts []image.PushOption
		if !f.quiet && isTerminal(os.Stderr) {
			popts = append(popts, image.WithProgress(cf.ses.errw))
		}
		popts = append(popts, image.WithAttachedReport(func(m image.ReferrersMethod) { attachedBy = m }))
		outs = append(outs, image.Registry(f.push, popts...))
	}
	if f.digestFile != "" {
		outs = append(outs, image.DigestFile(f.digestFile))
	}

	if err := image.Check(outs...); err != nil {
		return err
	}
	if f.entrypointSet {
		opts = append(opts, image.WithEntrypoint(f.entrypoint...))
	}
	if f.cmdSet {
		opts = append(opts, image.WithCmd(f.cmd...))
	}
	if len(f.env) > 0 {
		opts = append(opts, image.WithEnv(f.env...))
	}
	switch {
	case f.nonroot:
		opts = append(opts, image.WithUser(image.NonRootUser))
	case f.user != "":
		opts = append(opts, image.WithUser(f.user))
	}
	if cf.workdir != "" {
		opts = append(opts, image.WithWorkingDir(cf.workdir))
	}
	if len(labels) > 0 {
		opts = append(opts, image.WithLabels(labels))
	}
	if len(annotations) > 0 {
		opts = append(opts, image.WithAnnotations(annotations))
	}
	if opts, err = f.layers.options(opts, f); err != nil {
		return err
	}
	if len(f.layers.platformRoots) > 0 {
		return f.layers.runIndex(cf, fs, opts, outs, f.base, f.quiet)
	}
	cf.checks.image(f)
	plan, err := cf.plan(fs)
	if err != nil {
		return err
	}
	if err := cf.checkPlan(plan); err != nil {
		return err
	}
	if platform != nil {
		opts = append(opts, image.WithPlatform(*platform))
	}
	if f.base != "" {
		p := plan.Platform
		if platform != nil {
			p = *platform
		}
		base, err := image.LoadBase(cf.ses.ctx, f.base, p)
		if err != nil {
			return err
		}
		opts = append(opts, image.WithBase(base))
	}
	fromOpts, err := cf.imageOptions()
	if err != nil {
		return err
	}
	opts = append(opts, fromOpts...)
	sboms, err := f.sbom.make(plan, tag, mtime)
	if err != nil {
		return err
	}
	var left leftOut
	img, err := untilInterrupted(cf.ses.ctx, func() (v1.Image, error) {
		return image.Build(plan, append(append(opts, sboms.imageOptions()...), image.WithLeftOut(left.add))...)
	})
	if err != nil {
		return err
	}
	commitSBOMs, abortSBOMs, err := sboms.stage()
	if err != nil {
		return err
	}
	digest, err := image.Write(cf.ses.ctx, img, outs...)
	if err != nil {
		abortSBOMs()
		return err
	}
	if err := commitSBOMs(); err != nil {
		return err
	}
	left.print(cf.ses.errw, f.base, f.quiet)
	cf.ses.printWarnings(plan)
	if !f.quiet {
		cf.printSizes(img)
		cf.ses.printAttached(f.push, digest, attachedBy)
		fmt.Fprintln(cf.ses.out, digest)
	}
	return nil
}

func keyValues(flag string, list []string) (map[string]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("%s %q: want KEY=VALUE", flag, kv)}
		}
		m[k] = v
	}
	return m, nil
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
