package elfscan

import (
	"errors"
)

// Flavor is the loader whose rules a Resolver follows.
type Flavor int

const (
	FlavorAuto  Flavor = iota // from each root's PT_INTERP (ld-musl-* is musl, anything else glibc)
	FlavorGlibc               // glibc's ld-linux*.so
	FlavorMusl                // musl's ld-musl-*.so.1
)

func (f Flavor) String() string { return [...]string{"auto", "glibc", "musl"}[f] }

// An Option configures a Resolver.
type Option func(*Resolver)

// WithRoot makes every lookup happen inside root (default: the host's "/").
func WithRoot(root *Root) Option { return func(r *Resolver) { r.root = root } }

// WithLibraryPath is LD_LIBRARY_PATH for the emulated loader. The tool's
// own environment is never read.
func WithLibraryPath(dirs []string) Option { return func(r *Resolver) { r.libraryPath = dirs } }

// WithHWCaps selects the glibc-hwcaps level of the target CPU, e.g.
// "x86-64-v3": subdirectories up to that level are searched. The default is
// the baseline (none), which every CPU of the architecture runs.
func WithHWCaps(level string) Option { return func(r *Resolver) { r.hwcaps = level } }

// WithFlavor forces the loader rules instead of choosing them per root.
func WithFlavor(f Flavor) Option { return func(r *Resolver) { r.flavor = f } }

// A Resolver emulates the dynamic loader. It caches what it reads, so one
// Resolver resolving many roots reads each object once.
type Resolver struct {
	root        *Root
	libraryPath []string
	hwcaps      string
	flavor      Flavor
}

// NewResolver returns a Resolver with the given options.
func NewResolver(opts ...Option) *Resolver {
	r := &Resolver{root: HostRoot()}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Root is the root the Resolver looks in.
func (r *Resolver) Root() *Root { return r.root }

// Resolve computes the closure of each root path (paths inside the Root),
// in order. A root that cannot be read or is not ELF is an error; a library
// that cannot be found is not: it is listed in Closure.Missing.
func (r *Resolver) Resolve(paths ...string) (*Graph, error) {
	return nil, errors.New("elfscan: Resolve not implemented yet")
}
