//go:build linux && (amd64 || arm64)

package trace

import (
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fromscratch/fromscratch/internal/testenv"
)

// TestIDs runs real programs that drop privileges and give files away,
// as root, and finds the IDs they passed to the kernel in Result.IDs,
// once each, with the call that first used them.
func TestIDs(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "/usr/bin/setpriv", "/usr/bin/chown", "/usr/bin/true")
	t.Parallel()
	// setpriv: setgroups, setresgid, setresuid, then exec.
	res := run(t, []string{"/usr/bin/setpriv", "--reuid=4321", "--regid=4322", "--groups=4323,4324", "/usr/bin/true"}, nil)
	want := []IDUse{
		{ID: 4323, Group: true, Call: "setgroups"},
		{ID: 4324, Group: true, Call: "setgroups"},
		{ID: 4322, Group: true, Call: "setresgid"},
		{ID: 4321, Call: "setresuid"},
	}
	wantIDs(t, res, want)

	// chown's fchownat; -1 (":group" leaves the owner) is no ID.
	f := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res = run(t, []string{"/usr/bin/chown", ":4325", f}, nil)
	wantIDs(t, res, []IDUse{{ID: 4325, Group: true, Call: "fchownat"}})
	res = run(t, []string{"/usr/bin/chown", "4326:4326", f}, nil)
	wantIDs(t, res, []IDUse{{ID: 4326, Call: "fchownat"}, {ID: 4326, Group: true, Call: "fchownat"}})
}

// wantIDs checks that res.IDs are want, in any order, each by a named
// process.
func wantIDs(t *testing.T, res *Result, want []IDUse) {
	t.Helper()
	var got []IDUse
	for _, u := range res.IDs {
		if u.PID == 0 || u.Comm == "" {
			t.Errorf("%v: no process", u)
		}
		u.PID, u.Comm = 0, ""
		got = append(got, u)
	}
	order := func(a, b IDUse) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Call, b.Call), cmp.Compare(a.String(), b.String()))
	}
	slices.SortFunc(got, order)
	slices.SortFunc(want, order)
	if !slices.Equal(got, want) {
		t.Errorf("IDs:\n got %v\nwant %v", got, want)
	}
}
