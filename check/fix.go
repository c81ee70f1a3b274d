package check

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/trace"
)

// Fix plans roots with collector.Collect and copts, checks the plan, adds
// every missing path it reports (collector.WithTraced, with the reason
// collector.RuleCheck and the lookup as its evidence: "check: mkdir of
// /var/lib/nginx/body by pid 1 (nginx)") and
// plans and checks again, until a check finds nothing missing, or nothing
// it has not added already, or WithRounds rounds have run. It returns the
// last plan and its report: a report that is not OK says what could not
// be fixed (a unix socket, a different exit status).
//
// Files come with their ELF closures, directories with their mode, and the
// symlinks on the way stay symlinks, as for any traced path; the entries a
// listing lacked (MissingEntry) likewise, each by itself; users and groups
// (MissingUser, MissingGroup) from the root's /etc/passwd and /etc/group
// (collector.WithAccountIDs: a user with its primary group), and the names
// of WithUser from the start.
func Fix(ctx context.Context, roots []string, copts []collector.Option, opts ...Option) (*collector.Plan, *Report, error) {
	cfg := newConfig(opts)
	var added []collector.TracedFile
	var ids []collector.AccountID
	have := map[string]bool{}
	// The names of WithUser are looked up in the image, as a container
	// runtime looks up its --user: the root's accounts come along.
	if user, group, _ := strings.Cut(cfg.user, ":"); cfg.user != "" {
		copts = copts[:len(copts):len(copts)]
		if _, num := number(user); !num {
			copts = append(copts, collector.WithUserNames(user))
		}
		if _, num := number(group); !num && group != "" {
			copts = append(copts, collector.WithGroupNames(group))
		}
	}
	for round := 1; ; round++ {
		o := append(copts[:len(copts):len(copts)], collector.WithTraced(added...), collector.WithAccountIDs(ids...))
		plan, err := collector.Collect(roots, o...)
		if err != nil {
			return nil, nil, err
		}
		rep, err := Run(ctx, plan, opts...)
		if err != nil {
			return nil, nil, err
		}
		var fresh []collector.TracedFile
		var names, why []string
		// A run that lacks an account takes another way (glibc asks
		// the next NSS service, which looks in /run and /usr/local
		// for userdb records): the paths it looked for that the source
		// run never went near wait for the next round, with the
		// accounts added.
		held := 0
		hold := rep.SourceTrace != nil && slices.ContainsFunc(rep.Missing, func(m Missing) bool {
			return (m.Kind == MissingUser || m.Kind == MissingGroup) && !have[accountKey(m)]
		})
		for _, m := range rep.Missing {
			switch m.Kind {
			case MissingUser, MissingGroup:
				// From the root's /etc/passwd or /etc/group, with the
				// user's primary group.
				key := accountKey(m)
				if have[key] {
					continue
				}
				have[key] = true
				names = append(names, key)
				why = append(why, m.String())
				ids = append(ids, collector.AccountID{ID: m.ID, Group: m.Kind == MissingGroup, Reason: "check: " + m.How()})
				continue
			}
			if have[m.Path] || m.Type&(fs.ModeSocket|fs.ModeNamedPipe|fs.ModeDevice|fs.ModeCharDevice) != 0 {
				continue
			}
			if hold && m.Kind == MissingPath && !near(rep.SourceTrace, m.Path) {
				held++
				continue
			}
			have[m.Path] = true
			why = append(why, m.String())
			fresh = append(fresh, collector.TracedFile{Path: m.Path, Rule: collector.RuleCheck, Reason: m.How(), StatOnly: m.Lookup != trace.OpOpen && m.Lookup != trace.OpExec})
		}
		for _, f := range fresh {
			names = append(names, f.Path)
		}
		if cfg.log != nil {
			heldText := ""
			if held > 0 {
				heldText = fmt.Sprintf(" (%d held until the accounts are added)", held)
			}
			fmt.Fprintf(cfg.log, "check: round %d: %d missing, %d to add%s%s\n", round, len(rep.Missing), len(names), heldText, list(names))
			for _, w := range why {
				fmt.Fprintf(cfg.log, "check:   %s\n", w)
			}
		}
		if len(names) == 0 || round >= cfg.rounds {
			return plan, rep, nil
		}
		added = append(added, fresh...)
	}
}

func list(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return ": " + strings.Join(names, " ")
}

// accountKey names an account finding in Fix's set of what it added.
func accountKey(m Missing) string {
	if m.Kind == MissingGroup {
		return "group:" + m.Account
	}
	return "user:" + m.Account
}

// near reports whether the run res used or looked for p, or a path below
// it.
func near(res *trace.Result, p string) bool {
	for _, as := range [][]trace.Access{res.Accesses, res.Failed} {
		if slices.ContainsFunc(as, func(a trace.Access) bool { return under(a.Path, []string{p}) }) {
			return true
		}
	}
	return false
}
