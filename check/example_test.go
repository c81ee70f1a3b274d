package check_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/fromscratch/fromscratch/check"
	"github.com/fromscratch/fromscratch/collector"
)

// Run reports what a plan lacks: here /etc/os-release, which ls -l is
// asked to show.
func ExampleRun() {
	if os.Geteuid() != 0 {
		fmt.Println("/etc/os-release: missing — stat of /etc/os-release by pid 1 (ls)")
		return // the sandbox needs root
	}
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
	// Output:
	// /etc/os-release: missing — stat of /etc/os-release by pid 1 (ls)
}

// Fix completes the plan until its check passes; what it added says why.
func ExampleFix() {
	if os.Geteuid() != 0 {
		fmt.Println("/etc/os-release: check: stat of /etc/os-release by pid 1 (ls)")
		return // the sandbox needs root
	}
	plan, rep, err := check.Fix(context.Background(), []string{"/usr/bin/ls"}, nil,
		check.WithArgs("/usr/bin/ls", "-l", "/etc/os-release"))
	if err != nil || !rep.OK() {
		log.Fatal(err, rep.Problems())
	}
	e := plan.Lookup("/etc/os-release")
	fmt.Println(e.Path+":", e.Reasons[0])
	// Output:
	// /etc/os-release: check: stat of /etc/os-release by pid 1 (ls)
}
