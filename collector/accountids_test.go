package collector_test

import (
	"os/user"
	"strings"
	"testing"

	"github.com/fromscratch/fromscratch/collector"
)

// TestAccountIDs: the root's accounts of the IDs a run used go into the
// image's passwd and group with their reasons, a user with its primary
// group; an ID the root does not name stays a number, and no error.
func TestAccountIDs(t *testing.T) {
	u, err := user.Lookup("www-data")
	if err != nil {
		t.Skip(err)
	}
	if u.Uid != "33" {
		t.Skipf("www-data is uid %s here", u.Uid)
	}
	plan := collect(t, []string{"/usr/bin/id"}, collector.WithAccountIDs(
		collector.AccountID{ID: 33, Reason: "setuid by pid 7 (nginx) in the traced run"},
		collector.AccountID{ID: 4000000001, Group: true, Reason: "chown by pid 8 (x)"},
	))
	passwd, group := mustEntry(t, plan, "/etc/passwd"), mustEntry(t, plan, "/etc/group")
	if !strings.Contains(string(passwd.Data), "\nwww-data:x:33:"+u.Gid+":") || !strings.Contains(string(group.Data), "\nwww-data:x:"+u.Gid+":") {
		t.Errorf("passwd:\n%s\ngroup:\n%s", passwd.Data, group.Data)
	}
	if !hasReason(passwd, "user www-data (33) of the root's /etc/passwd: setuid by pid 7 (nginx) in the traced run") || !hasReason(group, "primary group of www-data") {
		t.Errorf("reasons: passwd %q, group %q", collector.Texts(passwd.Reasons), collector.Texts(group.Reasons))
	}
	if strings.Contains(string(group.Data), "4000000001") {
		t.Errorf("an ID the root does not name is in group:\n%s", group.Data)
	}
}
