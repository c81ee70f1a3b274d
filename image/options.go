package image

import (
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/fromscratch/fromscratch/collector"
)

// An Option configures Build. Every LayerOption is an Option too, so one
// list of options serves Build and the layer it makes.
type Option interface {
	applyBuild(*buildOptions)
}

// A LayerOption configures Layer and WriteTar (and, through Build, the
// image's layer).
type LayerOption interface {
	Option
	applyLayer(*layerOptions)
}

type layerOption func(*layerOptions)

func (f layerOption) applyLayer(o *layerOptions) { f(o) }
func (f layerOption) applyBuild(o *buildOptions) { f(&o.layer) }

type buildOption func(*buildOptions)

func (f buildOption) applyBuild(o *buildOptions) { f(o) }

// WithTime sets the time of the image: the config's created time, the
// history entry's, and the epoch that file times are clamped to (as by
// `tar --clamp-mtime`): a file of the root keeps its own time if it is
// earlier, every other entry (generated files, directories, symlinks)
// gets t; see collector.Entry.ClampedTime. It is truncated to the second.
// The default is the Unix epoch, which makes every time 0; see
// ParseSourceDateEpoch.
func WithTime(t time.Time) LayerOption {
	return layerOption(func(o *layerOptions) { o.mtime = time.Unix(t.Unix(), 0).UTC() })
}

// WithCompression sets the layer's compression: compression.GZip (the
// default) or compression.ZStd.
func WithCompression(c compression.Compression) LayerOption {
	return layerOption(func(o *layerOptions) { o.compression = c })
}

// WithCompressionLevel sets the compression level: for gzip 1 to 9
// (DefaultGzipLevel); for zstd 1 to 22 (DefaultZstdLevel), which
// klauspost/compress maps to its four speeds (zstd.EncoderLevelFromZstd).
func WithCompressionLevel(level int) LayerOption {
	return layerOption(func(o *layerOptions) { o.level, o.levelSet = level, true })
}

// ParseSourceDateEpoch returns the time a SOURCE_DATE_EPOCH value names:
// seconds since the epoch, or the epoch itself for "".
func ParseSourceDateEpoch(value string) (time.Time, error) {
	if value == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	sec, err := strconv.ParseInt(value, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: not a number of seconds since 1970", value)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// buildOptions are what Build reads.
type buildOptions struct {
	layer       layerOptions
	base        v1.Image
	platform    *collector.Platform
	entrypoint  []string
	cmd         []string
	env         []string
	user        *string
	workingDir  *string
	labels      map[string]string
	annotations map[string]string
	source      *sourceOptions
	sboms       []attachment // WithSBOM
}

// WithBase builds on img instead of an empty image. Its platform must be
// the plan's; see LoadBase to get one from a reference or a path.
func WithBase(img v1.Image) Option {
	return buildOption(func(o *buildOptions) { o.base = img })
}

// WithPlatform overrides the platform the plan's programs were built for.
func WithPlatform(p collector.Platform) Option {
	return buildOption(func(o *buildOptions) { o.platform = &p })
}

// WithEntrypoint sets the entrypoint. The default is the plan's first
// program.
func WithEntrypoint(args ...string) Option {
	return buildOption(func(o *buildOptions) { o.entrypoint = append([]string{}, args...) })
}

// WithCmd sets the arguments given to the entrypoint. The default is none.
func WithCmd(args ...string) Option {
	return buildOption(func(o *buildOptions) { o.cmd = append([]string{}, args...) })
}

// WithEnv sets environment variables, each "KEY=VALUE", over the default
// PATH, the base's and the plan's.
func WithEnv(env ...string) Option {
	return buildOption(func(o *buildOptions) { o.env = append(o.env, env...) })
}

// NonRootUser is the user:group of a nonroot image, as distroless's.
const NonRootUser = "65532:65532"

// WithUser sets the user the entrypoint runs as, e.g. NonRootUser.
func WithUser(user string) Option {
	return buildOption(func(o *buildOptions) { o.user = &user })
}

// WithWorkingDir sets the working directory of the entrypoint.
func WithWorkingDir(dir string) Option {
	return buildOption(func(o *buildOptions) { o.workingDir = &dir })
}

// WithLabels adds labels to the image config.
func WithLabels(labels map[string]string) Option {
	return buildOption(func(o *buildOptions) { o.labels = merge(o.labels, labels) })
}

// WithAnnotations adds annotations to the image manifest.
func WithAnnotations(annotations map[string]string) Option {
	return buildOption(func(o *buildOptions) { o.annotations = merge(o.annotations, annotations) })
}

func merge(dst, src map[string]string) map[string]string {
	if dst == nil {
		dst = make(map[string]string, len(src))
	}
	maps.Copy(dst, src)
	return dst
}
