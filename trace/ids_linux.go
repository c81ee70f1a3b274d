//go:build linux && (amd64 || arm64)

package trace

import "encoding/binary"

// idCall says where the IDs are in the arguments of a call that takes on
// or gives away user and group IDs.
type idCall struct {
	name          string
	users, groups []int // indexes of the arguments
}

// idCalls are the calls of Result.IDs. setgroups is apart: its IDs are in
// memory.
var idCalls = map[kind]idCall{
	kSetuid:    {"setuid", []int{0}, nil},
	kSetgid:    {"setgid", nil, []int{0}},
	kSetfsuid:  {"setfsuid", []int{0}, nil},
	kSetfsgid:  {"setfsgid", nil, []int{0}},
	kSetreuid:  {"setreuid", []int{0, 1}, nil},
	kSetregid:  {"setregid", nil, []int{0, 1}},
	kSetresuid: {"setresuid", []int{0, 1, 2}, nil},
	kSetresgid: {"setresgid", nil, []int{0, 1, 2}},
	kSetgroups: {"setgroups", nil, nil},
	kChown:     {"chown", []int{1}, []int{2}},
	kLchown:    {"lchown", []int{1}, []int{2}},
	kFchown:    {"fchown", []int{1}, []int{2}},
	kFchownat:  {"fchownat", []int{2}, []int{3}},
}

// maxGroups bounds the supplementary groups read from a setgroups list:
// a service's initgroups sets a handful.
const maxGroups = 64

// noID is (uid_t)-1: "leave unchanged" for setres*id, setre*id and chown.
const noID = ^uint32(0)

// idEntry records the IDs of an ID call at its entry, each once per run.
func (t *tracer) idEntry(tk *task, c *call, args *[6]uint64) {
	ic, ok := idCalls[c.kind]
	if !ok {
		return
	}
	for _, i := range ic.users {
		t.idUse(tk, ic.name, uint32(args[i]), false)
	}
	for _, i := range ic.groups {
		t.idUse(tk, ic.name, uint32(args[i]), true)
	}
	if c.kind != kSetgroups {
		return
	}
	n := min(int(uint32(args[0])), maxGroups)
	if n <= 0 || args[1] == 0 {
		return
	}
	buf := make([]byte, 4*n) // gid_t is 32 bits everywhere the table decodes
	got, err := readMem(tk.tid, args[1], buf)
	if err != nil && got == 0 {
		return
	}
	for i := 0; i+4 <= got; i += 4 {
		t.idUse(tk, ic.name, binary.NativeEndian.Uint32(buf[i:]), true)
	}
}

// idUse records one ID, unless it is -1 or was recorded already.
func (t *tracer) idUse(tk *task, callName string, id uint32, group bool) {
	if id == noID {
		return
	}
	for _, u := range t.res.IDs {
		if u.ID == id && u.Group == group {
			return
		}
	}
	t.proc(tk)
	u := IDUse{ID: id, Group: group, Call: callName, PID: tk.pid, Comm: tk.comm}
	if tk.nspid != 0 {
		u.PID = tk.nspid
	}
	t.res.IDs = append(t.res.IDs, u)
}
