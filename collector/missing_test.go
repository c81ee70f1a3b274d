package collector_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
)

// A library the loader would not find is Collect's error unless the
// caller opts in with WithAllowMissing; then the plan says what is
// missing, once (Plan.Missing, not a warning as well), and answers what
// the loader loads for the programs (Plan.Loader) and what the plan adds
// beyond it (Plan.Extras).
func TestMissingIsAnError(t *testing.T) {
	dir := miniRoot(t)
	if err := os.Remove(filepath.Join(dir, "usr/lib/x86_64-linux-gnu/libgreet.so.1.2.3")); err != nil {
		t.Fatal(err)
	}
	root := newRoot(t, dir)
	progs := []string{"/usr/bin/greeter"}

	plan, err := collector.Collect(progs, collector.WithRoot(root))
	var me *collector.MissingError
	if !errors.As(err, &me) || plan != nil {
		t.Fatalf("Collect with a missing library: plan %v, error %v; want a *MissingError and no plan", plan != nil, err)
	}
	if len(me.Missing) != 1 || me.Missing[0].Name != "libgreet.so.1" {
		t.Errorf("MissingError.Missing = %v, want libgreet.so.1", me.Missing)
	}
	msg := err.Error()
	for _, want := range []string{"collector: ", "libgreet.so.1 (needed by /usr/bin/greeter): not found", "WithAllowMissing"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "--") {
		t.Errorf("error %q names a CLI flag", msg)
	}

	plan = collect(t, progs, collector.WithRoot(root), collector.WithAllowMissing())
	if m := plan.Missing(); len(m) != 1 || m[0].String() != "libgreet.so.1 (needed by /usr/bin/greeter): not found" {
		t.Errorf("Plan.Missing() = %v", m)
	}
	for _, w := range plan.Warnings {
		if strings.Contains(w.Text, "libgreet") {
			t.Errorf("the missing library is a warning too: %q", w)
		}
	}
	g := plan.Loader()
	if len(g.Closures) != 1 || g.Closures[0].Root.Path != "/usr/bin/greeter" {
		t.Fatalf("Plan.Loader() has %d closures, want the program's", len(g.Closures))
	}
	for _, e := range plan.Extras() {
		if e.Path == "/usr/bin/greeter" || strings.Contains(e.Path, "libc.so") || strings.Contains(e.Path, "ld-linux") {
			t.Errorf("Plan.Extras() holds %s, which the loader loads", e.Path)
		}
	}
}
