package collector

import (
	"fmt"

	"github.com/fromscratch/fromscratch/trace"
)

// An AccountID is a user or group ID that a run of the program used, and
// that the image's /etc/passwd or /etc/group must name as the root's does.
type AccountID struct {
	ID     uint32
	Group  bool   // a group ID; else a user ID
	Reason string // "setuid by pid 7 (nginx) in the traced run"
}

// WithAccountIDs adds the root's accounts of these IDs to the image's
// passwd and group, each with its reason, a user with its primary group,
// as WithUserNames adds names: a service that drops privileges asks NSS
// for its user's name, which no call shows, and then takes on its ID,
// which the tracer sees (trace.Result.IDs; TracedIDs). An ID the root does
// not name stays a number.
func WithAccountIDs(ids ...AccountID) Option {
	return func(c *config) error {
		c.accountIDs = append(c.accountIDs, ids...)
		return nil
	}
}

// TracedIDs turns the IDs a traced run used into input for
// WithAccountIDs, each with the call that first used it.
func TracedIDs(res *trace.Result) []AccountID {
	out := make([]AccountID, 0, len(res.IDs))
	for _, u := range res.IDs {
		out = append(out, AccountID{ID: u.ID, Group: u.Group, Reason: fmt.Sprintf("%s by pid %d (%s) in the traced run", u.Call, u.PID, u.Comm)})
	}
	return out
}
