package check

import (
	"fmt"
	"io/fs"
	"syscall"

	"github.com/fromscratch/fromscratch/trace"
)

// A Report is what a check found.
type Report struct {
	// Missing are the paths the program looked for in the staged tree,
	// did not find, and that exist in the source root, each once, in
	// the order they were first looked for; then the entries of
	// directories it listed that the source run used (MissingEntry),
	// then the users and groups it used by ID that only the source
	// root names (MissingUser, MissingGroup).
	Missing []Missing
	// Staged is how the run in the staged tree ended; Source how the
	// same run in the source root ended (zero with WithoutCompare).
	Staged, Source Exit
	// Compared is set when the source run happened.
	Compared bool
	// OutputDiffers is set, with WithOutput, when the standard outputs
	// of the two runs differ.
	OutputDiffers bool
	// Sandbox says what the run was in: "namespaces" or "chroot".
	Sandbox string
	// Degraded says, in one line, what could not be set up and why;
	// empty when the sandbox is complete.
	Degraded string
	// Trace is the staged run as the tracer saw it: every path it
	// used (Accesses) and looked for in vain (Failed).
	Trace *trace.Result
	// SourceTrace is the run in the source root as the tracer saw it;
	// nil WithoutCompare.
	SourceTrace *trace.Result
}

// Exit is how a run ended.
type Exit struct {
	Code   int            // exit status, -1 when killed by a signal
	Signal syscall.Signal // the signal that killed it
	// Stopped is set when the run was still going at the timeout and
	// was stopped.
	Stopped bool
	// StartError is set when the program could not even be started
	// (its file or interpreter missing): "exec /usr/bin/x: no such file or directory".
	StartError string
}

// String says how the run ended: "exit status 1", "stopped at the
// timeout", "killed by signal 9 (killed)", "not started (…)".
func (e Exit) String() string {
	switch {
	case e.StartError != "":
		return "not started (" + e.StartError + ")"
	case e.Stopped:
		return "stopped at the timeout"
	case e.Signal != 0:
		return fmt.Sprintf("killed by signal %d (%v)", int(e.Signal), e.Signal)
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// A MissingKind says how a Missing was found.
type MissingKind uint8

const (
	// MissingPath: the staged run looked the path up in vain.
	MissingPath MissingKind = iota
	// MissingEntry: the staged run listed a directory (Name) that lacks
	// the entry Path, which the run in the source root used (Lookup): a
	// program that looks for its data files by listing their
	// directory, and finds none, does not name them in a failed call.
	MissingEntry
	// MissingUser and MissingGroup: a process of a run took on or gave
	// a file to an ID (Call) that the image's /etc/passwd or /etc/group
	// (Path) does not name and the source root's names Account: a
	// service that drops privileges to its user asks NSS for the name
	// first and fails without it.
	MissingUser
	MissingGroup // MissingUser for a group ID and /etc/group
)

// Missing is one path, directory entry or account the staged run lacked.
type Missing struct {
	// Kind is how it was found; the zero value is a failed lookup.
	Kind MissingKind
	// Path is the path, in the source root and in the image, that was
	// missing: the path looked up, or for a creation (mkdir, open with
	// O_CREAT) its parent directory; for MissingEntry the entry; for
	// MissingUser and MissingGroup the account file that lacks it.
	Path string
	// Type is the type of Path in the source root (fs.ModeDir,
	// fs.ModeSocket…; 0 for a regular file).
	Type fs.FileMode
	// Lookup is the kind of call; Name the path it named, PID the
	// process (as numbered in the sandbox's PID namespace; the host's
	// in a chroot-only run) and Comm its name.
	Lookup trace.Op
	Create bool // the call would have created Name (mkdir, O_CREAT)
	Name   string
	PID    int
	Comm   string
	Err    syscall.Errno // ENOENT or ENOTDIR
	// Account is the name of the user or group in the source root, ID
	// its number and Call the system call that used it ("setuid"); Source
	// is set when that was in the run in the source root, whose PID
	// and Comm are then those of its process.
	Account string
	ID      uint32
	Call    string
	Source  bool
}

// How says which call looked for the path: "mkdir of /var/lib/nginx/body
// by pid 1 (nginx)".
func (m Missing) How() string {
	in := ""
	if m.Source {
		in = " in the source root"
	}
	switch m.Kind {
	case MissingUser, MissingGroup:
		return fmt.Sprintf("%s by pid %d (%s)%s", m.Call, m.PID, m.Comm, in)
	case MissingEntry:
		return fmt.Sprintf("listdir of %s by pid %d (%s) lacked it; the run in the source root used it (%s)", m.Name, m.PID, m.Comm, m.Lookup)
	}
	verb := m.Lookup.String()
	switch {
	case m.Lookup == trace.OpOpen && m.Create:
		verb = "create"
	case m.Lookup == trace.OpOpen && m.Type.IsDir():
		verb = "opendir"
	}
	return fmt.Sprintf("%s of %s by pid %d (%s)", verb, m.Name, m.PID, m.Comm)
}

// String is the finding as the command prints it: "/var/lib/nginx:
// missing — mkdir of /var/lib/nginx/body by pid 1 (nginx)", "user
// www-data (uid 33): missing — setgid by pid 2 (nginx) in the source
// root".
func (m Missing) String() string {
	switch m.Kind {
	case MissingUser:
		return fmt.Sprintf("user %s (uid %d): missing — %s", m.Account, m.ID, m.How())
	case MissingGroup:
		return fmt.Sprintf("group %s (gid %d): missing — %s", m.Account, m.ID, m.How())
	}
	return m.Path + ": missing — " + m.How()
}

// OK reports whether the check found nothing: no missing path, both runs
// ended alike (or the staged one was stopped at the timeout), the same
// output when compared.
func (r *Report) OK() bool { return len(r.Problems()) == 0 }

// Problems returns one line per finding.
func (r *Report) Problems() []string {
	var out []string
	for _, m := range r.Missing {
		out = append(out, m.String())
	}
	if r.Staged.StartError != "" {
		out = append(out, "the program did not start in the image: "+r.Staged.StartError)
	} else if r.Compared && !sameEnd(r.Staged, r.Source) {
		out = append(out, fmt.Sprintf("the program ended differently: %v in the image, %v in the source root", r.Staged, r.Source))
	}
	if r.OutputDiffers {
		out = append(out, "the program's standard output differs from the source root's")
	}
	return out
}

// sameEnd compares two ends; a stop at the timeout matches anything but a
// failure to start, as a server stopped in one and failing at once in the
// other shows in what was missing.
func sameEnd(a, b Exit) bool {
	if a.Stopped && b.StartError == "" {
		return b.Stopped || b.Code == 0 && b.Signal == 0
	}
	return a.Code == b.Code && a.Signal == b.Signal && a.Stopped == b.Stopped
}
