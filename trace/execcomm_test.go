package trace

import (
	"context"
	"testing"
)

// The program's own exec is made by the helper and carries no Comm. The
// helper's start from /proc/self/exe could reach the tracer as an exec it
// had not seen (1 run in 10 or so) and mark the program as started too
// early, so that its exec was reported as made by "exe".
func TestProgramExecHasNoComm(t *testing.T) {
	bad := 0
	for range 100 {
		res, err := Run(context.Background(), []string{"/bin/true"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range res.Accesses {
			if a.Op == OpExec && a.Path == "/bin/true" && a.Comm != "" {
				bad++
			}
		}
	}
	t.Logf("%d of 100 runs named the program's own exec", bad)
	if bad > 0 {
		t.Fail()
	}
}

// Explain names, for each file, the access that best says why it is
// needed: cat's open of the file, the helper's exec of the program.
func TestExplain(t *testing.T) {
	res, err := Run(context.Background(), []string{"/bin/sh", "-c", "/bin/cat /etc/hostname >/dev/null"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ex := res.Explain()
	if a := ex["/etc/hostname"]; a.Op != OpOpen || a.Comm != "cat" {
		t.Errorf("/etc/hostname explained by %v", a)
	}
	if a := ex["/bin/cat"]; a.Op != OpExec || a.Comm != "sh" {
		t.Errorf("/bin/cat explained by %v", a)
	}
	if a := ex["/bin/sh"]; a.Op != OpExec || a.Comm != "" {
		t.Errorf("/bin/sh explained by %v", a)
	}
	if len(ex) != len(res.Files()) {
		t.Errorf("Explain has %d paths, Files %d", len(ex), len(res.Files()))
	}
}
