package check_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fromscratch/fromscratch/check"
	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/internal/testenv"
)

// TestAccounts: setpriv asks NSS for www-data and fails in the image,
// whose /etc/passwd does not name it; the run in the root goes on to
// setresgid and setresuid to its IDs, and the check names the user and
// the group from the root's files. Fix adds them, and the fixed image
// prints the name as the root does; what the image's run looked for only
// because the user was missing is not added.
func TestAccounts(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "/usr/bin/setpriv", "/usr/bin/id")
	uid, gid := idOf(t, "-u"), idOf(t, "-g")
	progs := []string{"/usr/bin/setpriv", "/usr/bin/id"}
	opts := []check.Option{
		check.WithArgs("/usr/bin/setpriv", "--reuid=www-data", "--regid=www-data", "--clear-groups", "/usr/bin/id", "-un"),
		check.WithOutput(), check.WithTimeout(time.Minute),
	}
	plan, err := collector.Collect(progs)
	if err != nil {
		t.Fatal(err)
	}
	rep := run(t, plan, opts...)
	want := []string{
		"group www-data (gid " + gid + "): missing — setresgid by pid 1 (setpriv) in the source root",
		"user www-data (uid " + uid + "): missing — setresuid by pid 1 (setpriv) in the source root",
	}
	var got []string
	for _, m := range rep.Missing {
		if m.Kind == check.MissingUser || m.Kind == check.MissingGroup {
			got = append(got, m.String())
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("Missing:\n got %q\nwant %q", got, want)
	}

	var log strings.Builder
	fixed, rep, err := check.Fix(context.Background(), progs, nil, append(opts, check.WithLog(&log))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", log.String())
	if !rep.OK() {
		t.Errorf("the fixed plan does not pass: %s", strings.Join(rep.Problems(), "; "))
	}
	passwd := fixed.Lookup("/etc/passwd")
	if passwd == nil || !strings.Contains(string(passwd.Data), "\nwww-data:x:"+uid+":"+gid+":") {
		t.Errorf("/etc/passwd of the fixed plan: %v", passwd)
	}
	// The image's run without the user took another way (glibc asked
	// systemd's NSS service, which looks for userdb records in /run and
	// /usr/local); the root's run never went there, and with the user
	// added neither does the image's.
	for _, p := range []string{"/run", "/usr/local"} {
		if fixed.Lookup(p) != nil {
			t.Errorf("%s added: %s", p, fixed.Lookup(p).Reasons)
		}
	}
	// The reason is the check's finding.
	if !slices.ContainsFunc(collector.Texts(passwd.Reasons), func(r string) bool {
		return strings.Contains(r, "user www-data ("+uid+") of the root's /etc/passwd: check: setresuid by pid 1 (setpriv) in the source root")
	}) {
		t.Errorf("the reasons of /etc/passwd: %q", collector.Texts(passwd.Reasons))
	}
}

// idOf is id FLAG www-data on this machine.
func idOf(t *testing.T, flag string) string {
	t.Helper()
	stdout, _, code := testenv.RunHost(t, nil, "", "/usr/bin/id", flag, "www-data")
	if code != 0 {
		testenv.Unavailable(t, "the user www-data (id %s www-data: exit %d)", flag, code)
	}
	return strings.TrimSpace(string(stdout))
}

// TestListedEntries: fortune -f lists its cookie directory and opens what
// it finds; in an image with the directory empty it fails without a
// failed lookup to report. The run in the root shows the files it went on
// to open, and the check names them, each with the listing; Fix adds them
// and the fixed image prints what the root does.
func TestListedEntries(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "/usr/games/fortune")
	argv := []string{"/usr/games/fortune", "-f"}
	opts := []check.Option{check.WithArgs(argv...), check.WithOutput(), check.WithTimeout(time.Minute)}
	const dir = "/usr/share/games/fortunes"
	plan, err := collector.Collect(argv[:1], collector.WithTraced(collector.TracedFile{Path: dir}))
	if err != nil {
		t.Fatal(err)
	}
	rep := run(t, plan, opts...)
	var entries []string
	for _, m := range rep.Missing {
		if m.Kind != check.MissingEntry || !strings.HasPrefix(m.Path, dir+"/") || m.Name != dir || m.Comm != "fortune" {
			t.Errorf("not an entry of %s: %s", dir, m)
			continue
		}
		entries = append(entries, m.Path)
	}
	if !slices.Contains(entries, dir+"/fortunes") || !slices.Contains(entries, dir+"/fortunes.dat") {
		t.Errorf("%s/fortunes and fortunes.dat not reported: %s", dir, strings.Join(rep.Problems(), "; "))
	}
	if rep.Staged == rep.Source {
		t.Errorf("fortune ended alike without its cookies: %v", rep.Staged)
	}
	t.Logf("%s", strings.Join(rep.Problems(), "\n"))

	fixed, rep, err := check.Fix(context.Background(), argv[:1], nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("the fixed plan does not pass: %s", strings.Join(rep.Problems(), "; "))
	}
	if e := fixed.Lookup(dir + "/fortunes.dat"); e == nil || len(e.Reasons) == 0 || !strings.HasPrefix(e.Reasons[0].String(), "check: listdir of "+dir+" by pid 1 (fortune) lacked it; the run in the source root used it (") {
		t.Errorf("%s/fortunes.dat in the fixed plan: %v", dir, e)
	}
}

// TestFixWithUser: the image runs as a user named as docker run --user
// names it, which the minimal /etc/passwd lacks; Fix brings the root's
// account from the start, and the fixed image prints the name as the root
// does.
func TestFixWithUser(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "/usr/bin/id")
	idOf(t, "-u")
	var out strings.Builder
	_, rep, err := check.Fix(context.Background(), []string{"/usr/bin/id"}, nil,
		check.WithArgs("/usr/bin/id", "-un"), check.WithUser("www-data"), check.WithOutput(),
		check.WithStdio(nil, &out, nil), check.WithTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || out.String() != "www-data\n" {
		t.Errorf("the fixed plan: %q, printed %q", rep.Problems(), out.String())
	}
}
