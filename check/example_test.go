package check_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/fromscratch/fromscratch/check"
	"github.com/fromscratch/fromscratch/collector"
)

// Run reports what a plan lacks: here /etc/os-release, which ls -l is
// asked to show. (Not run as a test: the sandbox needs root and ptrace,
// which a container may refuse, and an Example cannot skip;
// TestFixAdds checks the same.)
func ExampleRun() {
	plan, err := collector.Collect([]string{"/usr/bin/ls"})
	if err != nil {
		log.Fatal(err)
	}
	rep, err := check.Run(context.Background(), plan,
		check.WithArgs("/usr/bin/ls", "-l", "/etc/os-release"), check.WithTimeout(time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range rep.Missing {
		fmt.Println(m)
	}
	// /etc/os-release: missing — stat of /etc/os-release by pid 1 (ls)
}

// Fix completes the plan until its check passes; what it added says why.
// (Not run as a test, as ExampleRun.)
func ExampleFix() {
	plan, rep, err := check.Fix(context.Background(), []string{"/usr/bin/ls"}, nil,
		check.WithArgs("/usr/bin/ls", "-l", "/etc/os-release"))
	if err != nil || !rep.OK() {
		log.Fatal(err, rep.Problems())
	}
	e := plan.Lookup("/etc/os-release")
	fmt.Println(e.Path+":", e.Reasons[0])
	// /etc/os-release: check: stat of /etc/os-release by pid 1 (ls)
}
