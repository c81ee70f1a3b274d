// Package deps pins the module's dependencies while the packages that use
// them are being written. It is removed once they are all imported for real.
package deps

import (
	_ "github.com/google/go-containerregistry/pkg/v1/layout"
	_ "github.com/google/go-containerregistry/pkg/v1/mutate"
	_ "github.com/google/go-containerregistry/pkg/v1/remote"
	_ "github.com/google/go-containerregistry/pkg/v1/tarball"
	_ "github.com/spf13/pflag"
	_ "github.com/u-root/u-root/pkg/ldd"
)
