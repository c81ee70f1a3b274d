package image

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/fromscratch/fromscratch/collector"
)

// DefaultPath is the PATH of an image whose base does not set one.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// CreatedBy is the created_by of the history entry of the plan's layer.
const CreatedBy = "fromscratch"

// Build makes the image of the plan: one layer (see Layer), or the layers
// of WithLayering, on an empty
// OCI image, or on the image given WithBase, with a config for the plan's
// platform, its first program as entrypoint, PATH and the plan's Env, and
// the time of WithTime as created time of the config and the history
// entry. On a base, the files the base has already are left out (see
// WithLeftOut). Nothing is written anywhere but the layers' spools; see
// Write.
func Build(plan *collector.Plan, opts ...Option) (v1.Image, error) {
	var o buildOptions
	o.layer = makeLayerOptions(nil)
	for _, opt := range opts {
		opt.applyBuild(&o)
	}
	if err := plan.Check(); err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	platform := plan.Platform
	if o.platform != nil {
		// A variant may be chosen (amd64/v3 for a CPU level); another OS
		// or architecture would make an image that cannot run its own
		// programs.
		if p := o.platform; plan.Platform.OS != "" && (p.OS != plan.Platform.OS || p.Architecture != plan.Platform.Architecture) {
			return nil, fmt.Errorf("image: platform %s does not match the programs, which are %s", p, plan.Platform)
		}
		platform = *o.platform
	}
	if platform.OS == "" || platform.Architecture == "" {
		return nil, errors.New("image: the plan has no platform: give one WithPlatform")
	}

	base := o.base
	if base == nil {
		base = emptyOCI()
	} else {
		if err := checkPlatform(base, platform, "base"); err != nil {
			return nil, err
		}
		var err error
		if base, err = asOCI(base); err != nil {
			return nil, fmt.Errorf("base: %w", err)
		}
	}
	mt, err := o.layer.mediaType()
	if err != nil {
		return nil, err
	}
	if o.base != nil {
		if plan, err = leaveOutBase(plan, base, o.leftOut); err != nil {
			return nil, err
		}
	}
	adds, err := o.addenda(plan, mt)
	if err != nil {
		return nil, err
	}

	created := v1.Time{Time: o.layer.mtime}
	img, err := mutate.Append(base, adds...)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = platform.OS, platform.Architecture, platform.Variant
	cf.Created = created
	o.source.apply(&cf.Config)
	o.config(&cf.Config, plan)
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	if a := merge(o.source.annotations(), o.annotations); len(a) > 0 {
		img = mutate.Annotations(img, a).(v1.Image)
	}
	if len(o.sboms) > 0 {
		img = &attached{Image: img, sboms: o.sboms}
	}
	return img, nil
}

// emptyOCI is the empty image with OCI media types.
var emptyOCI = sync.OnceValue(func() v1.Image {
	return mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
})

// asOCI returns base with OCI media types: a Docker image (a docker
// tarball, many registries) is re-described, not rewritten — the same
// layer and config bytes under OCI descriptors — so that every output is
// an OCI image that skopeo and umoci find by tag in a layout, and zstd
// layers may go on top.
func asOCI(base v1.Image) (v1.Image, error) {
	mt, err := base.MediaType()
	if err != nil || mt == types.OCIManifestSchema1 {
		return base, err
	}
	layers, err := base.Layers()
	if err != nil {
		return nil, err
	}
	cf, err := base.ConfigFile()
	if err != nil {
		return nil, err
	}
	adds := make([]mutate.Addendum, len(layers))
	for i, l := range layers {
		lmt, err := l.MediaType()
		if err != nil {
			return nil, err
		}
		switch lmt {
		case types.DockerLayer:
			lmt = types.OCILayer
		case types.DockerUncompressedLayer:
			lmt = types.OCIUncompressedLayer
		case types.DockerForeignLayer:
			lmt = types.OCIRestrictedLayer
		}
		adds[i] = mutate.Addendum{Layer: l, MediaType: lmt}
	}
	img, err := mutate.Append(emptyOCI(), adds...)
	if err != nil {
		return nil, err
	}
	// The base's own config (history, env, labels), with the same diff IDs.
	return mutate.ConfigFile(img, cf)
}

// config sets the run-time config over the base's.
func (o *buildOptions) config(c *v1.Config, plan *collector.Plan) {
	entrypoint := o.entrypoint
	if entrypoint == nil && len(plan.Programs) > 0 && o.source == nil {
		entrypoint = []string{plan.Programs[0]}
	}
	if entrypoint != nil {
		// A new entrypoint makes the base's arguments meaningless, as
		// ENTRYPOINT does in a Dockerfile.
		c.Entrypoint, c.Cmd = entrypoint, nil
	}
	if o.cmd != nil {
		c.Cmd = o.cmd
	}
	env := c.Env
	if !hasKey(env, "PATH") {
		env = append([]string{DefaultPath}, env...)
	}
	c.Env = setEnv(setEnv(env, plan.Env), o.env)
	if o.user != nil {
		c.User = *o.user
	}
	if o.workingDir != nil {
		c.WorkingDir = *o.workingDir
	}
	if len(o.labels) > 0 {
		c.Labels = merge(c.Labels, o.labels)
	}
}

// setEnv sets each KEY=VALUE of vars in env: in place where KEY is
// already set, at the end otherwise.
func setEnv(env, vars []string) []string {
	env = append([]string{}, env...)
	for _, kv := range vars {
		key, _, _ := strings.Cut(kv, "=")
		if i := indexKey(env, key); i >= 0 {
			env[i] = kv
		} else {
			env = append(env, kv)
		}
	}
	return env
}

func hasKey(env []string, key string) bool { return indexKey(env, key) >= 0 }

func indexKey(env []string, key string) int {
	for i, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			return i
		}
	}
	return -1
}
