package check

import (
	"strconv"
	"strings"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/trace"
)

// accountFiles are the files that name users and groups; never the
// shadow files.
const (
	passwdFile = "/etc/passwd"
	groupFile  = "/etc/group"
)

// missingAccounts finds the users and groups a run used by number that the
// image does not name and the source root does. A program asks NSS for a
// name (nginx's "user www-data;", memcached -u memcache), which reaches
// the kernel as no call at all: the staged run fails on the missing name
// before it would use the ID, but the run in the source root goes on to
// setgid, setgroups, setuid or chown with it, and the tracer sees the ID
// there. The IDs of both runs count, the staged run's first.
func missingAccounts(plan *collector.Plan, staged *elfscan.Root, res, src *trace.Result) []Missing {
	files := [2]struct {
		path        string
		kind        MissingKind
		image, root map[uint32]string
	}{{passwdFile, MissingUser, nil, nil}, {groupFile, MissingGroup, nil, nil}}
	type use struct {
		trace.IDUse
		source bool
	}
	var uses []use
	for _, u := range res.IDs {
		uses = append(uses, use{u, false})
	}
	if src != nil {
		for _, u := range src.IDs {
			uses = append(uses, use{u, true})
		}
	}
	if len(uses) == 0 {
		return nil
	}
	for i := range files {
		files[i].image = accountNames(staged, files[i].path)
		files[i].root = accountNames(plan.Root, files[i].path)
	}
	var out []Missing
	seen := map[[2]uint32]bool{}
	for _, u := range uses {
		f := &files[0]
		if u.Group {
			f = &files[1]
		}
		if _, ok := f.image[u.ID]; ok {
			continue
		}
		name, ok := f.root[u.ID]
		if !ok || seen[[2]uint32{uint32(f.kind), u.ID}] {
			continue // a number in the source root too: nothing to add
		}
		seen[[2]uint32{uint32(f.kind), u.ID}] = true
		out = append(out, Missing{
			Kind: f.kind, Path: f.path, Account: name, ID: u.ID, Call: u.Call,
			PID: u.PID, Comm: u.Comm, Source: u.source,
		})
	}
	return out
}

// accountNames reads the names of a passwd or group file of root by
// number, the first name of each.
func accountNames(root *elfscan.Root, file string) map[uint32]string {
	names := map[uint32]string{}
	data, err := root.ReadFile(file, 16<<20)
	if err != nil {
		return names
	}
	for line := range strings.Lines(string(data)) {
		fields := strings.Split(strings.TrimSpace(line), ":")
		if len(fields) < 3 || fields[0] == "" || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if id, err := strconv.ParseUint(fields[2], 10, 32); err == nil {
			if _, ok := names[uint32(id)]; !ok {
				names[uint32(id)] = fields[0]
			}
		}
	}
	return names
}
