package collector_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/check"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// TestCheckRealPrograms is the check's "no false alarms" (issue 8): every
// program of TestRealPrograms, collected the same way (the rules on) and
// run with the same command line, exits as on the host with the host's
// output, and no path is reported missing: what these programs look for
// at run time and the root has, the rules added, each on its evidence.
func TestCheckRealPrograms(t *testing.T) {
	testenv.NeedRoot(t)
	for _, pt := range programTests {
		t.Run(pt.name, func(t *testing.T) {
			for _, p := range pt.progs {
				testenv.NeedCommand(t, p)
			}
			opts := []check.Option{
				check.WithArgs(pt.argv...), check.WithEnv(pt.env...),
				check.WithStdio(strings.NewReader(pt.stdin), nil, nil),
				check.WithOutput(), check.WithTimeout(time.Minute),
			}
			plan := collect(t, pt.progs, pt.opts...)
			rep, err := check.Run(context.Background(), plan, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Compared || rep.Staged != rep.Source || rep.OutputDiffers {
				t.Errorf("%q: %v in the image, %v in the root, output differs: %v", pt.argv, rep.Staged, rep.Source, rep.OutputDiffers)
			}
			for _, m := range rep.Missing {
				t.Errorf("missing: %s", m)
			}
		})
	}
}
