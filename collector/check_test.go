package collector_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/check"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// checkGaps are the files that the programs of TestRealPrograms really
// look for, that the root has and that the plans, without rules for them,
// lack: genuine findings of the check, not false alarms, each with the
// rule of issue 8 that adds it. The check may report these and nothing
// else.
var checkGaps = map[string]string{
	"/etc/host.conf":                          "conffiles (netbase's host.conf, read by the resolver)",
	"/etc/ldap/ldap.conf":                     "conffiles (libldap)",
	"/etc/magic":                              "conffiles (libmagic1)",
	"/etc/wgetrc":                             "conffiles (wget)",
	"/etc/zsh/zshenv":                         "conffiles (zsh-common)",
	"/root":                                   "the home directory of root, stat'ed by zsh",
	"/usr/lib/git-core/git":                   "git's exec-path, looked up by git itself",
	"/usr/lib/locale/C.utf8":                  "locales (python3 coerces the C locale to C.UTF-8)",
	"/usr/lib/python3/dist-packages":          "a site directory of the root's python3",
	"/usr/local/lib/python3.11/dist-packages": "a site directory of the root's python3",
	"/usr/lib/ssl/certs":                      "openssl's certificate directory (a symlink to /etc/ssl/certs)",
	"/usr/lib/tcltk":                          "tcl's package path",
	"/usr/local":                              "tcl's package path",
	"/usr/lib/x86_64-linux-gnu/sasl2":         "libsasl2's plugin directory",
	"/usr/share/git-core/templates":           "git's templates (package directories)",
	"/usr/share/locale":                       "message catalogs, bound by git and python",
	"/usr/share/vim":                          "vim's runtime files",
}

// TestCheckRealPrograms is the check's "no false alarms": every program
// of TestRealPrograms, collected the same way and run with the same
// command line, exits as on the host with the host's output, and the
// only paths reported missing are genuine gaps (checkGaps). Then
// check.Fix completes each plan that has gaps until its check passes.
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
				if gapOf(m.Path) == "" {
					t.Errorf("false alarm: %s", m)
				} else {
					t.Logf("gap (%s): %s", gapOf(m.Path), m)
				}
			}
			if len(rep.Missing) == 0 {
				return // nothing for Fix to do
			}
			fixed, rep, err := check.Fix(context.Background(), pt.progs, pt.opts, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() {
				t.Errorf("check.Fix left:\n  %s", strings.Join(rep.Problems(), "\n  "))
			}
			if len(fixed.Entries) < len(plan.Entries) {
				t.Errorf("check.Fix removed entries: %d, was %d", len(fixed.Entries), len(plan.Entries))
			}
		})
	}
}

// gapOf is the rule that adds p, or "".
func gapOf(p string) string {
	keys := make([]string, 0, len(checkGaps))
	for k := range checkGaps {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if p == k || strings.HasPrefix(p, k+"/") {
			return checkGaps[k]
		}
	}
	return ""
}
