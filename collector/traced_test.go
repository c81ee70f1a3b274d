package collector_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/collector/trace"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// The tracer is a source of paths: a run of the program on the host
// tells which module files it reads, and WithTraced puts just those into
// the rootfs, where the same run then gives the same output.
func TestTraced(t *testing.T) {
	for _, c := range []struct {
		prog string
		argv []string
		env  []string
	}{
		{"/usr/bin/python3", []string{"/usr/bin/python3", "-c", `import json, decimal, hashlib; print(json.dumps({"d": str(decimal.Decimal("1.1") + 1)}), hashlib.md5(b"x").hexdigest())`},
			[]string{"PYTHONDONTWRITEBYTECODE=1"}},
		{"/usr/bin/perl", []string{"/usr/bin/perl", "-MPOSIX=strftime", "-MList::Util=sum", "-e", `print strftime("%Y", gmtime(0)), " ", sum(1..10), "\n"`}, nil},
	} {
		testenv.NeedCommand(t, c.prog)
		var out, errOut bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		res, err := trace.Run(ctx, c.argv, &trace.Options{Env: c.env, Stdout: &out, Stderr: &errOut, Dir: "/"})
		cancel()
		if err != nil {
			t.Fatalf("trace %q: %v", c.argv, err)
		}
		if res.ExitCode != 0 {
			t.Fatalf("traced %q exits %d: %s", c.argv, res.ExitCode, errOut.Bytes())
		}
		files := res.Files()
		plan := collect(t, []string{c.prog}, collector.WithTraced(files...))
		rootfs := writeRootfs(t, plan)
		n, size := treeSize(t, rootfs)
		t.Logf("%s: %d traced paths, rootfs %d entries, %.1f MB", c.prog, len(files), n, float64(size)/1e6)
		stdout, stderr, exit := testenv.RunChroot(t, rootfs, c.env, "", c.argv...)
		if exit != 0 || !bytes.Equal(stdout, out.Bytes()) {
			t.Errorf("%q in the traced rootfs: exit %d, stdout %q (want %q), stderr %q", c.argv, exit, stdout, out.Bytes(), stderr)
		}
	}
}
