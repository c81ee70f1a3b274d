package collector_test

import (
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
)

// An --add may not replace the image's root directory nor change the type
// of a path the plan has (a file over a directory or a symlink, a
// directory under a file or a symlink): Collect fails with one line that
// names the path, instead of a plan whose writers fail or drop it.
func TestAddRefusesRootAndTypeChanges(t *testing.T) {
	dir := miniRoot(t)
	mklink(t, dir, "srv/t/greeter", "elsewhere")
	root := newRoot(t, dir)
	for _, tc := range []struct {
		name, src, dst string
		want           []string
	}{
		{"file at /", "/usr/bin/env", "/", []string{"WithAdd", "root directory"}},
		{"dir at /", "/usr/bin", "/", []string{"WithAdd", "root directory"}},
		{"file at / spelt //.", "/usr/bin/env", "//.", []string{"root directory"}},
		{"root itself", "/", "", []string{"root directory"}},
		{"file over a planned directory", "/usr/bin/env", "/usr/lib", []string{"/usr/lib", "a dir in the plan"}},
		{"file over a planned symlink", "/usr/bin/env", "/lib", []string{"/lib", "a symlink to usr/lib"}},
		{"directory over a planned file", "/usr/lib", "/usr/bin/greeter", []string{"/usr/bin/greeter", "a copy of"}},
		{"directory under a planned file", "/usr/bin", "/usr/bin/greeter/x", []string{"/usr/bin/greeter is a copy of"}},
		{"symlink over a planned file", "/srv/t", "/usr/bin", []string{"/usr/bin/greeter as a symlink to elsewhere", "a copy of"}},
		{"file under a planned symlink", "/usr/bin/env", "/lib64/new/env", []string{"/lib64 is a symlink"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := collector.Collect([]string{"/usr/bin/greeter"}, collector.WithRoot(root), collector.WithNoAuto(),
				collector.WithAdd(tc.src, tc.dst))
			if err == nil {
				t.Fatalf("Collect with WithAdd(%q, %q) succeeded", tc.src, tc.dst)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
		})
	}
	// The same directory planned twice is no type change.
	collect(t, []string{"/usr/bin/greeter"}, collector.WithRoot(root), collector.WithAdd("/usr/lib", "/usr/lib"))
}

// Plan.Check, which every writer runs, refuses a plan whose root is not a
// directory (a hand-made plan, or one from an older collector).
func TestPlanCheckRootIsADirectory(t *testing.T) {
	plan := &collector.Plan{Entries: []collector.Entry{{Path: "/", Kind: collector.File, Data: []byte("x"), Mode: 0o644}}}
	err := plan.Check()
	if err == nil || !strings.Contains(err.Error(), "root must be a directory") {
		t.Fatalf("Check of a plan whose / is a file: %v", err)
	}
}
