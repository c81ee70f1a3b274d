package main

import (
	"context"
	"fmt"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/image"
	"github.com/fromscratch/fromscratch/imageroot"
)

// fromFlags are --from and what it needs: the image whose filesystem is
// the root.
type fromFlags struct {
	from string

	mu     sync.Mutex // guards staged, removed at the end (after a signal too)
	staged *imageroot.Root
	img    v1.Image
	// srcDigest and srcSize describe the source; see image.DescribeSource.
	srcDigest v1.Hash
	srcSize   int64
}

func (f *fromFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.from, "from", "", "minify the image `REF`: a registry reference, an OCI layout DIR[:TAG] or a docker tarball FILE[:TAG]; its filesystem is the root (staged under $TMPDIR), FILEs are paths in it (default: its Entrypoint+Cmd), and 'image' keeps its Env, User, WorkingDir, ports, volumes, labels, stop signal, entrypoint and cmd")
	// image has its own --platform, which picks from an index too.
	if fs.Lookup("platform") == nil {
		fs.String("platform", "", "with --from, pick the image of `OS/ARCH[/VARIANT]` from an index (default: this machine's, or the only one)")
	}
}

// stage reads and stages the --from image once, sets the root to it, and
// returns the FILEs: args, or the image's command's program.
func (f *collectFlags) stage(fs *pflag.FlagSet, args []string) ([]string, error) {
	if f.from == "" {
		return args, nil
	}
	if f.staged == nil {
		if fs.Changed("root") {
			return nil, usageError{fmt.Errorf("--from and --root exclude each other")}
		}
		var platform *collector.Platform
		if pf := fs.Lookup("platform"); pf != nil && pf.Value.String() != "" {
			p, err := v1.ParsePlatform(pf.Value.String())
			if err != nil || p.OS == "" || p.Architecture == "" {
				return nil, usageError{fmt.Errorf("--platform %q: want OS/ARCH[/VARIANT]", pf.Value.String())}
			}
			platform = &collector.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
		}
		img, err := image.LoadSource(context.Background(), f.from, platform)
		if err != nil {
			return nil, err
		}
		// SIGINT, SIGTERM and SIGHUP cancel the session's context
		// (cancelOnSignal): a staging under way stops and removes itself;
		// a finished one is removed by the deferred closeFrom once the
		// command has stopped (and removed its own temporary output).
		ctx := f.ses.ctx
		staged, err := imageroot.New(img, imageroot.WithContext(ctx))
		if err != nil {
			f.closeFrom()
			if ctx.Err() != nil {
				return nil, fmt.Errorf("interrupted: the staging of %s was removed", f.from)
			}
			return nil, err
		}
		f.mu.Lock()
		f.staged, f.img = staged, img
		f.mu.Unlock()
		f.root = staged.Dir()
		for _, n := range staged.Notes() {
			fmt.Fprintf(f.ses.errw, "fromscratch: note: %s: %s\n", f.from, n)
		}
	}
	if len(args) > 0 {
		return args, nil
	}
	argv, err := f.staged.Command()
	if err != nil {
		return nil, err
	}
	return argv[:1], nil
}

// fromOptions are the collector options --from adds: a named user keeps
// the image's passwd and group.
func (f *collectFlags) fromOptions() []collector.Option {
	if f.staged == nil {
		return nil
	}
	user, _, _ := strings.Cut(f.staged.Config().Config.User, ":")
	if user == "" || strings.Trim(user, "0123456789") == "" {
		return nil
	}
	var opts []collector.Option
	for _, p := range []string{"/etc/passwd", "/etc/group"} {
		if _, err := f.staged.Root().Stat(p); err == nil {
			opts = append(opts, collector.WithAdd(p, p))
		}
	}
	return opts
}

// imageOptions are the image options --from adds: the source's run-time
// config and its name.
func (f *collectFlags) imageOptions() ([]image.Option, error) {
	if f.staged == nil {
		return nil, nil
	}
	digest, size, err := image.DescribeSource(f.from, f.img)
	if err != nil {
		return nil, fmt.Errorf("image: %s: %w", f.from, err)
	}
	f.srcDigest, f.srcSize = digest, size
	return []image.Option{image.WithSource(f.from, digest, f.staged.Config())}, nil
}

// printSizes prints the source's size and the new image's.
func (f *collectFlags) printSizes(img v1.Image) {
	if f.img == nil {
		return
	}
	after, err := image.LayersSize(img)
	if err != nil {
		return
	}
	cf := f.staged.Config()
	what := "docker tarball"
	if f.srcDigest != (v1.Hash{}) {
		what = f.srcDigest.String() + ", compressed layers"
	}
	fmt.Fprintf(f.ses.errw, "fromscratch: from %s (%s/%s): %s (%s), minified: %s (compressed layers)\n",
		f.from, cf.OS, cf.Architecture, humanSize(f.srcSize), what, humanSize(after))
}

// closeFrom removes the staging; every command that stages defers it.
func (f *collectFlags) closeFrom() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.staged != nil {
		f.staged.Close()
	}
}
