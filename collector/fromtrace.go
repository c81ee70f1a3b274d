package collector

import (
	"fmt"

	"github.com/fromscratch/fromscratch/trace"
)

// FromTrace turns a traced run into plan input for WithTraced: each file of
// res.Files with the reason the tracer finds best ("opened by pid 12
// (python3)"); a file the run only stat'ed is StatOnly, so an ELF file
// among those brings no closure.
func FromTrace(res *trace.Result) []TracedFile {
	explain := res.Explain()
	files := res.Files()
	out := make([]TracedFile, 0, len(files))
	for _, p := range files {
		a := explain[p]
		out = append(out, TracedFile{Path: p, Reason: tracedReason(a), StatOnly: a.Op == trace.OpStat})
	}
	return out
}

// tracedVerbs say what a process did to a file, in reasons.
var tracedVerbs = [...]string{
	trace.OpOpen: "opened", trace.OpExec: "executed", trace.OpListDir: "listed", trace.OpStat: "stat'ed",
}

func tracedReason(a trace.Access) string {
	verb := ""
	if int(a.Op) < len(tracedVerbs) {
		verb = tracedVerbs[a.Op]
	}
	if verb == "" {
		return "traced"
	}
	if a.Comm == "" {
		// The exec of the traced program itself, by the tracer's helper.
		return fmt.Sprintf("%s by the traced run (pid %d)", verb, a.PID)
	}
	return fmt.Sprintf("%s by pid %d (%s)", verb, a.PID, a.Comm)
}
