package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/image"
	"github.com/fromscratch/fromscratch/sbom"
)

// sbomFlags is --sbom FORMAT=FILE, of image and rootfs.
type sbomFlags struct {
	specs []string
	outs  []sbomOut
}

type sbomOut struct {
	format sbom.Format
	file   string
}

func (f *sbomFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.specs, "sbom", nil, "write an SBOM of the image to `FORMAT=FILE`: spdx (SPDX 2.3 JSON) or cyclonedx (CycloneDX 1.5 JSON); repeatable; 'image' also attaches it to the image in --oci-layout and --push")
}

// parse checks the flags, before any work.
func (f *sbomFlags) parse() error {
	for _, spec := range f.specs {
		name, file, ok := strings.Cut(spec, "=")
		if !ok || file == "" {
			return usageError{fmt.Errorf("--sbom %q: want FORMAT=FILE (spdx=FILE or cyclonedx=FILE)", spec)}
		}
		format, err := sbom.ParseFormat(name)
		if err != nil {
			return usageError{fmt.Errorf("--sbom %q: want spdx=FILE or cyclonedx=FILE", spec)}
		}
		// The file is renamed over what is there: never over a FIFO or
		// a device node (/dev/null, as root).
		if st, err := os.Stat(file); err == nil && !st.Mode().IsRegular() {
			return fmt.Errorf("--sbom %s: exists and is not a regular file: not replaced", file)
		}
		f.outs = append(f.outs, sbomOut{format, file})
	}
	return nil
}

// sbomDocs are the SBOMs of a plan, one per format asked for.
type sbomDocs struct {
	outs []sbomOut
	data map[sbom.Format][]byte
}

// make reads the plan and encodes each format asked for; nothing is
// written yet.
func (f *sbomFlags) make(plan *collector.Plan, name string, epoch time.Time) (*sbomDocs, error) {
	if len(f.outs) == 0 {
		return nil, nil
	}
	s, err := sbom.New(plan, sbom.WithName(name), sbom.WithTime(epoch))
	if err != nil {
		return nil, err
	}
	d := &sbomDocs{outs: f.outs, data: map[sbom.Format][]byte{}}
	for _, o := range f.outs {
		if d.data[o.format] != nil {
			continue
		}
		var buf bytes.Buffer
		if err := s.Encode(&buf, o.format); err != nil {
			return nil, err
		}
		d.data[o.format] = buf.Bytes()
	}
	return d, nil
}

// imageOptions attach each SBOM to the image, once per format, in the
// order of the flags.
func (d *sbomDocs) imageOptions() []image.Option {
	if d == nil {
		return nil
	}
	var opts []image.Option
	done := map[sbom.Format]bool{}
	for _, o := range d.outs {
		if !done[o.format] {
			done[o.format] = true
			opts = append(opts, image.WithSBOM(o.format.MediaType(), d.data[o.format]))
		}
	}
	return opts
}

// stage writes every file to a temporary file beside it; commit renames
// them all, abort removes them: a failure (of the SBOMs or of the image
// or root filesystem written between) leaves none half-written.
func (d *sbomDocs) stage() (commit func() error, abort func(), err error) {
	if d == nil { // no --sbom
		return func() error { return nil }, func() {}, nil
	}
	var tmps []string
	abort = func() {
		for _, t := range tmps {
			os.Remove(t)
		}
	}
	commit = func() error {
		for i, o := range d.outs {
			if err := os.Rename(tmps[i], o.file); err != nil {
				abort()
				return fmt.Errorf("--sbom %s: %w", o.file, err)
			}
		}
		return nil
	}
	for _, o := range d.outs {
		tmp, err := os.CreateTemp(filepath.Dir(o.file), "."+filepath.Base(o.file)+".tmp-*")
		if err != nil {
			abort()
			return nil, nil, fmt.Errorf("--sbom %s: cannot write in %s: %w", o.file, filepath.Dir(o.file), unwrapPath(err))
		}
		tmps = append(tmps, tmp.Name())
		_, err = tmp.Write(d.data[o.format])
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(tmp.Name(), 0o644)
		}
		if err != nil {
			abort()
			return nil, nil, fmt.Errorf("--sbom %s: %w", o.file, unwrapPath(err))
		}
	}
	return commit, abort, nil
}

// unwrapPath drops the path of an *os.PathError: the message names it.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// printAttached says how the push attached the SBOMs, and why.
func (s *session) printAttached(ref string, digest v1.Hash, m image.ReferrersMethod) {
	switch m {
	case image.ReferrersAPI:
		fmt.Fprintf(s.errw, "fromscratch: SBOMs attached to %s@%s as referrers: the registry has the referrers API\n", ref, digest)
	case image.ReferrersTag:
		fmt.Fprintf(s.errw, "fromscratch: SBOMs attached to %s@%s as referrers and tagged %s: the registry has no referrers API\n", ref, digest, image.SBOMTag(digest))
	}
}
