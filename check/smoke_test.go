package check_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/fromscratch/fromscratch/check"
	"github.com/fromscratch/fromscratch/collector"
)

func TestSmoke(t *testing.T) {
	plan, err := collector.Collect([]string{"/usr/bin/ls"})
	if err != nil {
		t.Fatal(err)
	}
	for _, chroot := range []bool{false, true} {
		var out bytes.Buffer
		opts := []check.Option{check.WithArgs("/usr/bin/ls", "-l", "/", "/var/lib/nothing", "/etc/os-release"), check.WithStdio(nil, &out, &out), check.WithOutput()}
		if chroot {
			opts = append(opts, check.WithChrootOnly())
		}
		rep, err := check.Run(context.Background(), plan, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s %+v\n%s\n%q", out.String(), rep, rep.Problems(), rep.Degraded)
	}
}
