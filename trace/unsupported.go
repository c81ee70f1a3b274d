//go:build !linux || !(amd64 || arm64)

package trace

import (
	"context"
	"errors"
	"runtime"
)

// Run runs the program argv under the tracer. It is implemented only on
// Linux on amd64 and arm64; elsewhere it returns an error.
func Run(ctx context.Context, argv []string, opts *Options) (*Result, error) {
	prog := "?"
	if len(argv) > 0 {
		prog = argv[0]
	}
	return nil, &Error{Prog: prog, Err: errors.New("tracing is not supported on " + runtime.GOOS + "/" + runtime.GOARCH)}
}
