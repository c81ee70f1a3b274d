package image

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// A PushOption configures Registry and Push.
type PushOption func(*pushOptions)

type pushOptions struct {
	progress io.Writer
	remote   []remote.Option
	attached func(ReferrersMethod) // WithAttachedReport
}

// WithProgress prints the push's progress to w, a line at most every
// half second and one at the end. The default prints nothing.
func WithProgress(w io.Writer) PushOption {
	return func(o *pushOptions) { o.progress = w }
}

// WithRemoteOptions passes options to remote.Write after the defaults
// (the context and authn.DefaultKeychain); to authenticate otherwise,
// give remote.WithAuthFromKeychain, not remote.WithAuth.
func WithRemoteOptions(opts ...remote.Option) PushOption {
	return func(o *pushOptions) { o.remote = append(o.remote, opts...) }
}

// Registry is the registry reference ref (a tag or a digest) to push to,
// with the credentials of the default keychain (docker's config.json and
// helpers), over plain HTTP for a loopback registry (localhost,
// 127.0.0.0/8, ::1).
func Registry(ref string, opts ...PushOption) Output {
	shown, _ := redact(ref) // the name printed: never a password
	o := &registryOutput{name: shown}
	for _, opt := range opts {
		opt(&o.opts)
	}
	o.ref, o.err = parseReference(ref)
	return o
}

type registryOutput struct {
	name string
	ref  name.Reference
	err  error
	opts pushOptions
}

func (o *registryOutput) String() string { return "registry " + o.name }

func (o *registryOutput) check() error {
	if o.err != nil {
		return fmt.Errorf("%s: %w", o, o.err)
	}
	return nil
}

func (o *registryOutput) stage(ctx context.Context, img v1.Image) (*staged, error) {
	base := append([]remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
	}, o.opts.remote...)
	opts := base[:len(base):len(base)]
	if o.opts.progress != nil {
		updates := make(chan v1.Update, 64)
		stop := printProgress(o.opts.progress, o.name, updates)
		defer stop()
		opts = append(opts, remote.WithProgress(updates))
	}
	if err := remote.Write(o.ref, img, opts...); err != nil {
		return nil, fmt.Errorf("%s: %w", o, err)
	}
	// Without the progress: remote.Write closed its channel.
	if method, err := pushReferrers(o.ref, img, base); err != nil {
		return nil, fmt.Errorf("%s: %w", o, err)
	} else if method != "" && o.opts.attached != nil {
		o.opts.attached(method)
	}
	nothing := func() error { return nil }
	return &staged{commit: nothing, abort: func() {}}, nil
}

// printProgress prints updates until stop is called: a line at most every
// half second, and the last. remote.Write closes updates when it is done,
// except when it fails on its options, so stop does not wait for that.
func printProgress(w io.Writer, ref string, updates <-chan v1.Update) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	var printed time.Time
	var line string
	show := func(u v1.Update) {
		if u.Error != nil || u.Total == 0 || u.Complete != u.Total && time.Since(printed) < 500*time.Millisecond {
			return
		}
		if l := fmt.Sprintf("%s: pushed %.1f of %.1f MB\n", ref, float64(u.Complete)/1e6, float64(u.Total)/1e6); l != line {
			io.WriteString(w, l)
			line, printed = l, time.Now()
		}
	}
	go func() {
		defer close(done)
		for {
			select {
			case u, ok := <-updates:
				if !ok {
					return
				}
				show(u)
			case <-quit:
				for { // what is left, without waiting
					select {
					case u, ok := <-updates:
						if !ok {
							return
						}
						show(u)
					default:
						return
					}
				}
			}
		}
	}()
	return func() { close(quit); <-done }
}
