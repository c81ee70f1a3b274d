package check_test

import (
	"context"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/check"
	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// without returns a copy of plan without the entry at path.
func without(t *testing.T, plan *collector.Plan, path string) *collector.Plan {
	t.Helper()
	p := *plan
	p.Entries = slices.DeleteFunc(slices.Clone(plan.Entries), func(e collector.Entry) bool { return e.Path == path })
	if len(p.Entries) != len(plan.Entries)-1 {
		t.Fatalf("%s is not in the plan", path)
	}
	return &p
}

func run(t *testing.T, plan *collector.Plan, opts ...check.Option) *check.Report {
	t.Helper()
	rep, err := check.Run(context.Background(), plan, append(opts, check.WithTimeout(time.Minute))...)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestCheckNamesTheRemovedFile removes one planned file at a time (a
// library, a configuration file, a locale file) from plans that pass, and
// asserts that the check reports exactly that file missing, with the call
// that looked for it.
func TestCheckNamesTheRemovedFile(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "/usr/bin/curl", "/usr/bin/id", "/usr/bin/wc")
	tests := []struct {
		name   string
		progs  []string
		opts   []collector.Option
		argv   []string
		env    []string
		stdin  string
		remove string // the planned file to take out
		lookup string // the call that must name it
	}{
		{name: "library", progs: []string{"/usr/bin/curl"}, argv: []string{"/usr/bin/curl", "--version"},
			remove: "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", lookup: "open of /lib/x86_64-linux-gnu/libz.so.1 by pid 1 (curl)"},
		{name: "config file", progs: []string{"/usr/bin/id"}, argv: []string{"/usr/bin/id", "-un"},
			remove: "/etc/nsswitch.conf", lookup: "stat of /etc/nsswitch.conf by pid 1 (id)"},
		{name: "locale file", progs: []string{"/usr/bin/wc"}, opts: []collector.Option{collector.WithAdd("/usr/lib/locale/C.utf8", "")},
			argv: []string{"/usr/bin/wc", "-m"}, env: []string{"LANG=C.UTF-8"}, stdin: "À bientôt\n",
			remove: "/usr/lib/locale/C.utf8/LC_CTYPE", lookup: "open of /usr/lib/locale/C.utf8/LC_CTYPE by pid 1 (wc)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []check.Option{check.WithArgs(tt.argv...), check.WithEnv(tt.env...), check.WithStdio(strings.NewReader(tt.stdin), nil, nil), check.WithOutput()}
			// The plan that passes: what Fix makes.
			plan, rep, err := check.Fix(context.Background(), tt.progs, tt.opts, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				t.Fatalf("the fixed plan does not pass: %s", strings.Join(rep.Problems(), "; "))
			}
			rep = run(t, without(t, plan, tt.remove), opts...)
			if len(rep.Missing) != 1 {
				t.Fatalf("want exactly %s missing, got %d: %s", tt.remove, len(rep.Missing), strings.Join(rep.Problems(), "; "))
			}
			m := rep.Missing[0]
			real, _, err := plan.Root.Resolve(m.Path)
			if err != nil || real != tt.remove || m.How() != tt.lookup {
				t.Errorf("got %s (real path %s), want %s looked for by %s", m, real, tt.remove, tt.lookup)
			}
			t.Logf("%s", strings.Join(rep.Problems(), "\n"))
		})
	}
}

// TestFixAdds: Fix adds what a run missed with the lookup as its reason:
// a symlink stays a symlink and brings its target; a directory a program
// creates in comes with its mode (0700 here); and the fixed plan passes.
func TestFixAdds(t *testing.T) {
	testenv.NeedRoot(t)
	for _, tt := range []struct {
		argv   []string
		path   string
		reason string
		kind   collector.EntryKind
		mode   fs.FileMode
	}{
		{[]string{"/usr/bin/ls", "-l", "/etc/os-release"}, "/etc/os-release", "check: stat of /etc/os-release by pid 1 (ls)", collector.Symlink, fs.ModeSymlink | 0o777},
		{[]string{"/usr/bin/mkdir", "/var/cache/ldconfig/x"}, "/var/cache/ldconfig", "check: mkdir of /var/cache/ldconfig/x by pid 1 (mkdir)", collector.Dir, fs.ModeDir | 0o700},
	} {
		var log strings.Builder
		plan, rep, err := check.Fix(context.Background(), tt.argv[:1], nil, check.WithArgs(tt.argv...), check.WithLog(&log))
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() {
			t.Errorf("%q: the fixed plan does not pass: %s", tt.argv, strings.Join(rep.Problems(), "; "))
		}
		e := plan.Lookup(tt.path)
		if e == nil {
			t.Fatalf("%q: %s not added:\n%s", tt.argv, tt.path, log.String())
		}
		if e.Kind != tt.kind || e.Mode != tt.mode || len(e.Reasons) != 1 || e.Reasons[0].Rule != collector.RuleCheck || e.Reasons[0].String() != tt.reason {
			t.Errorf("%q: %s is a %v %v because %v; want a %v %v because %q", tt.argv, tt.path, e.Kind, e.Mode, e.Reasons, tt.kind, tt.mode, tt.reason)
		}
		if e.Kind == collector.Symlink {
			if target := plan.Lookup("/usr/lib/os-release"); target == nil || target.Kind != collector.File {
				t.Errorf("the symlink's target is not in the plan")
			}
		}
		t.Logf("%s", log.String())
	}
}

// TestCheckOtherRoot: with a Root that is not "/", the source run is
// chroot'ed into it (under the overlay), and Fix completes the plan from
// it.
func TestCheckOtherRoot(t *testing.T) {
	testenv.NeedRoot(t)
	dir := testenv.Amd64Minbase(t)
	root, err := elfscan.NewRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	before := testenv.TreeDigest(t, filepath.Join(dir, "etc"))
	plan, rep, err := check.Fix(context.Background(), []string{"/usr/bin/ls"}, []collector.Option{collector.WithRoot(root)},
		check.WithArgs("/usr/bin/ls", "-L", "/etc/os-release"), check.WithOutput())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || plan.Lookup("/etc/os-release") == nil || plan.Lookup("/usr/lib/os-release") == nil {
		t.Errorf("the fixed plan: %s; /etc/os-release planned: %v", strings.Join(rep.Problems(), "; "), plan.Lookup("/etc/os-release") != nil)
	}
	if testenv.TreeDigest(t, filepath.Join(dir, "etc")) != before {
		t.Errorf("the root changed")
	}
}
