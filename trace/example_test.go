//go:build linux && (amd64 || arm64)

package trace_test

import (
	"context"
	"fmt"
	"log"
	"slices"

	"github.com/fromscratch/fromscratch/trace"
)

// Run a shell command and see which of the files it read an image of it
// would need. (Not run as a test: tracing needs ptrace, which a container
// may forbid, and an Example cannot skip; TestScript checks the same.)
func ExampleRun() {
	res, err := trace.Run(context.Background(), []string{"/bin/sh", "-c", "cat /etc/passwd >/dev/null"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	files := res.Files()
	fmt.Println(slices.Contains(files, "/etc/passwd"), slices.Contains(files, "/bin/sh"))
	// true true
}
