package image

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/fromscratch/fromscratch/collector"
)

// Layering is how Build splits a plan into layers.
type Layering int

const (
	// LayeringNone makes one layer of the whole plan: the smallest image
	// on its own, the default.
	LayeringNone Layering = iota
	// LayeringAuto makes a layer of the C library (the loader, libc and
	// the /lib links), one of each well-known shared library of
	// SharedLibraries() the plan holds, and one of everything else (the
	// program and its own files), in that order. Which layer a file goes
	// to depends on its path alone, and a layer holds nothing but its
	// files and their parent directories, so two images collected from
	// the same root share the layers of the libraries they both hold,
	// byte for byte.
	LayeringAuto
)

// String is the name ParseLayering reads.
func (l Layering) String() string {
	switch l {
	case LayeringNone:
		return "none"
	case LayeringAuto:
		return "auto"
	}
	return fmt.Sprintf("Layering(%d)", int(l))
}

// ParseLayering reads "none" or "auto".
func ParseLayering(s string) (Layering, error) {
	switch s {
	case "none":
		return LayeringNone, nil
	case "auto":
		return LayeringAuto, nil
	}
	return 0, fmt.Errorf("image: layering %q: want none or auto", s)
}

// WithLayering sets how Build splits the plan into layers; the default is
// LayeringNone.
func WithLayering(l Layering) Option {
	return buildOption(func(o *buildOptions) { o.layering = l })
}

// Layer names of LayeringAuto besides SharedLibraries' names.
const (
	LayerLibc    = "libc"
	LayerProgram = "program"
)

// SharedLibraries returns the libraries that LayeringAuto gives a layer each,
// by name (the file name is NAME or starts with "NAME."; the SONAME link
// and the file it names share the layer): libraries of a Debian system
// that many programs load, each worth a layer of its own (tens of KB to
// MBs compressed). A layer per library, not one for all of them, because
// a layer is shared only between images that hold exactly its files: two
// programs rarely load the same set of these, but often each of them.
func SharedLibraries() []string { return slices.Clone(sharedLibraries) }

// sharedLibraries is the table of SharedLibraries.
var sharedLibraries = []string{
	"libm.so.6",           // glibc's math library: C++ programs, Python, most of /usr/bin
	"libgcc_s.so.1",       // unwinding: C++ programs, pthread_cancel
	"libstdc++.so.6",      // C++
	"libz.so.1",           // zlib
	"libzstd.so.1",        // zstd
	"liblzma.so.5",        // xz
	"libbz2.so.1.0",       // bzip2
	"libcrypto.so.3",      // OpenSSL
	"libssl.so.3",         // OpenSSL
	"libgnutls.so.30",     // GnuTLS
	"libpcre2-8.so.0",     // PCRE2
	"libselinux.so.1",     // SELinux: coreutils, systemd's tools
	"libtinfo.so.6",       // ncurses
	"libffi.so.8",         // libffi
	"libexpat.so.1",       // expat
	"libsystemd.so.0",     // systemd
	"libnss_systemd.so.2", // NSS module that Debian's nsswitch.conf names
	"libcap.so.2",         // libcap: libnss_systemd's, systemd's
}

// libcNames are the file names of the C library's layer: glibc's and
// musl's loaders and libc. Every dynamic program of a root has exactly
// these two files, so this layer is the same in all its images.
var libcNames = []string{
	"ld-linux-*.so.*", "ld-linux.so.*", "ld64.so.*", "ld.so.1", "ld-musl-*.so.1",
	"libc.so.6", "libc.so", "libc.musl-*.so.1",
}

// A LayerPlan is the part of a plan that one layer holds.
type LayerPlan struct {
	Name string // LayerLibc, a name of SharedLibraries(), or LayerProgram
	Plan *collector.Plan
}

// Split returns the parts of plan, one per layer of layering, lowest
// first: for LayeringNone the whole plan. Each part is a plan of its own
// (Plan.Check holds) with the parent directories of its entries, as the
// plan has them, so that each layer is a valid tar alone; a directory
// that is no entry's parent goes with the program. Empty parts are left
// out. Only entry paths decide the split: not the order of the programs,
// nor what else the plan holds.
func Split(plan *collector.Plan, layering Layering) ([]LayerPlan, error) {
	if err := plan.Check(); err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	switch layering {
	case LayeringNone:
		return []LayerPlan{{Name: LayerProgram, Plan: plan}}, nil
	case LayeringAuto:
	default:
		return nil, fmt.Errorf("image: unknown layering %d", int(layering))
	}
	names := append(append([]string{LayerLibc}, sharedLibraries...), LayerProgram)
	rank := make(map[string]int, len(names))
	for i, n := range names {
		rank[n] = i
	}
	// The layer of each non-directory entry, then of each directory: the
	// layers of the entries below it.
	of := make([]int, len(plan.Entries))
	parents := map[string]map[int]bool{}
	for i := range plan.Entries {
		e := &plan.Entries[i]
		if e.Kind == collector.Dir {
			continue
		}
		class := classify(e)
		if e.Kind == collector.Hardlink {
			// A hard link is in its file's layer, where its target is.
			class = classify(plan.Lookup(e.Target))
		}
		of[i] = rank[class]
		for d := path.Dir(e.Path); d != "/"; d = path.Dir(d) {
			if parents[d] == nil {
				parents[d] = map[int]bool{}
			}
			parents[d][of[i]] = true
		}
	}
	// A directory with nothing but directories below it goes with the
	// program, and so do its parents.
	for i := range plan.Entries {
		e := &plan.Entries[i]
		if e.Kind != collector.Dir || e.Path == "/" || len(parents[e.Path]) > 0 {
			continue
		}
		for d := path.Dir(e.Path); d != "/"; d = path.Dir(d) {
			if parents[d] == nil {
				parents[d] = map[int]bool{}
			}
			parents[d][rank[LayerProgram]] = true
		}
	}
	parts := make([][]collector.Entry, len(names))
	for i := range plan.Entries {
		e := plan.Entries[i]
		switch {
		case e.Kind != collector.Dir:
			parts[of[i]] = append(parts[of[i]], e)
		case e.Path == "/" || len(parents[e.Path]) == 0:
			parts[rank[LayerProgram]] = append(parts[rank[LayerProgram]], e)
		default:
			// In plan order, so each part stays sorted.
			for l := range parents[e.Path] {
				parts[l] = append(parts[l], e)
			}
		}
	}
	var out []LayerPlan
	for l, entries := range parts {
		if len(entries) == 0 {
			continue
		}
		// Entries went to parts in plan order: each part is sorted.
		p := *plan
		p.Entries = entries
		out = append(out, LayerPlan{Name: names[l], Plan: &p})
	}
	return out, nil
}

// classify is the layer of a file or link, by its path alone.
func classify(e *collector.Entry) string {
	base := path.Base(e.Path)
	if e.Kind == collector.Symlink && path.Dir(e.Path) == "/" && strings.HasPrefix(base, "lib") {
		return LayerLibc // /lib, /lib64 → usr/…: on the loader's way
	}
	for _, pattern := range libcNames {
		if ok, _ := path.Match(pattern, base); ok {
			return LayerLibc
		}
	}
	for _, name := range sharedLibraries {
		if base == name || strings.HasPrefix(base, name+".") {
			return name
		}
	}
	return LayerProgram
}
