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
// and the file it names share the layer). A layer per library, not one
// for all of them, because a layer is shared only between images that
// hold exactly its files: two programs rarely load the same set of these,
// but often each of them.
func SharedLibraries() []string { return slices.Clone(sharedLibraries) }

// sharedLibraries is the table of SharedLibraries: the libraries that 40
// or more (5%) of the 746 dynamic programs of a Debian 12 /usr/bin load
// (`deps --list`, counted), the libraries the collector's rules add to
// many programs (libgcc_s, libnss_systemd, which Debian's nsswitch.conf
// names), and libssl, libffi, libexpat and libbz2, which the interpreters
// and network programs that people put in images load. A fixed list, not
// one computed from the plans at hand: a layer must not depend on what
// else is built.
var sharedLibraries = []string{
	"libm.so.6",           // 242 programs
	"libz.so.1",           // 122
	"libcrypt.so.1",       // 120
	"libpcre2-8.so.0",     // 99
	"libzstd.so.1",        // 95
	"liblzma.so.5",        // 95
	"libselinux.so.1",     // 91
	"libgpg-error.so.0",   // 83
	"libgcrypt.so.20",     // 81
	"libcap.so.2",         // 75, and libnss_systemd's
	"liblz4.so.1",         // 68
	"libgcc_s.so.1",       // 63, and every program that cancels threads (rules)
	"libstdc++.so.6",      // 61
	"libblkid.so.1",       // 56
	"libmount.so.1",       // 55
	"libcrypto.so.3",      // 48
	"libtinfo.so.6",       // 47
	"libcap-ng.so.0",      // 43
	"libaudit.so.1",       // 42
	"libseccomp.so.2",     // 41
	"libnss_systemd.so.2", // every program that looks users up (rules)
	"libssl.so.3",         // TLS clients and servers
	"libffi.so.8",         // Python, GLib
	"libexpat.so.1",       // Python, Git's tools
	"libbz2.so.1.0",       // Python, archivers
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
