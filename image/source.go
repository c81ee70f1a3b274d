package image

import (
	"maps"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The annotations that name the image a minified image was made from
// (OCI image spec, annotations.md).
const (
	BaseNameAnnotation   = "org.opencontainers.image.base.name"
	BaseDigestAnnotation = "org.opencontainers.image.base.digest"
)

// sourceOptions are what WithSource gives.
type sourceOptions struct {
	name   string
	digest v1.Hash
	run    v1.Config
}

// WithSource says the plan was collected from the image name (as the user
// wrote it) of manifest digest, whose run-time config is cf: the new image
// starts from its Env, User, WorkingDir, ExposedPorts, Volumes, Labels,
// StopSignal, Entrypoint and Cmd (the other options override each), names
// it in the org.opencontainers.image.base.name and .digest annotations, and
// its layer's history entry says "minified from NAME@DIGEST".
func WithSource(name string, digest v1.Hash, cf *v1.ConfigFile) Option {
	return buildOption(func(o *buildOptions) {
		o.source = &sourceOptions{name: name, digest: digest, run: *cf.Config.DeepCopy()}
	})
}

// apply copies the source's run-time settings into c. The source is the
// whole root, so they are copied over any base's.
func (s *sourceOptions) apply(c *v1.Config) {
	if s == nil {
		return
	}
	src := s.run
	c.Env = slices.Clone(src.Env)
	c.User = src.User
	c.WorkingDir = src.WorkingDir
	c.ExposedPorts = maps.Clone(src.ExposedPorts)
	c.Volumes = maps.Clone(src.Volumes)
	c.Labels = maps.Clone(src.Labels)
	c.StopSignal = src.StopSignal
	c.Entrypoint = slices.Clone(src.Entrypoint)
	c.Cmd = slices.Clone(src.Cmd)
}

func (s *sourceOptions) annotations() map[string]string {
	if s == nil {
		return nil
	}
	return map[string]string{BaseNameAnnotation: s.name, BaseDigestAnnotation: s.digest.String()}
}

func (s *sourceOptions) comment() string {
	if s == nil {
		return ""
	}
	return "minified from " + s.name + "@" + s.digest.String()
}

// LayersSize is the sum of the sizes of img's layers as its manifest gives
// them (compressed): what a registry stores and a pull downloads.
func LayersSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	var n int64
	for _, l := range m.Layers {
		n += l.Size
	}
	return n, nil
}
