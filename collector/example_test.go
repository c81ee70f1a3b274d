package collector_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/trace"
)

// Collect plans the root filesystem of a program: the program, its
// interpreter and libraries at the paths the loader opens, and what the
// rules find that the loader does not show, each entry with its reasons.
// WriteDir writes it. (TestBuilderStage runs the same on a program built
// with gcc.)
func ExampleCollect() {
	plan, err := collector.Collect([]string{"/usr/bin/env"}, collector.WithNoAuto())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(plan.Programs, plan.Platform)
	for _, e := range plan.Entries {
		if e.Path == "/usr/bin/env" {
			fmt.Println(e.Path, e.Reasons)
		}
	}
	fmt.Println("missing:", len(plan.Missing()))
	// Output:
	// [/usr/bin/env] linux/amd64
	// /usr/bin/env [program]
	// missing: 0
}

// WithExclude keeps paths out of the plan: here the notes of a tree given
// to WithAdd. Plan.Excluded says what each pattern kept out.
func ExampleWithExclude() {
	site, err := os.MkdirTemp("", "site")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(site)
	for _, f := range []string{"index.html", "README.md", "notes/todo.md"} {
		os.MkdirAll(filepath.Dir(filepath.Join(site, f)), 0o755)
		os.WriteFile(filepath.Join(site, f), []byte(f+"\n"), 0o644)
	}

	plan, err := collector.Collect([]string{"/usr/bin/env"},
		collector.WithNoAuto(),
		collector.WithAdd(site, "/srv/site"),
		collector.WithExclude("*.md"))
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range plan.Entries {
		if strings.HasPrefix(e.Path, "/srv/") {
			fmt.Println(e.Kind, e.Path)
		}
	}
	fmt.Println(strings.Join(plan.Excluded, "\n"))
	// Output:
	// dir /srv/site
	// file /srv/site/index.html
	// dir /srv/site/notes
	// /srv/site/README.md (*.md)
	// /srv/site/notes/todo.md (*.md)
}

// A traced run finds what the loader cannot show (Python's modules,
// plugins, data files): FromTrace turns it into plan input for
// WithTraced, each file with the process that used it as its reason.
// (Tracing needs ptrace: TestTracedReasons runs this.)
func ExampleFromTrace() {
	argv := []string{"/usr/bin/python3", "-c", "import json"}
	res, err := trace.Run(context.Background(), argv, nil)
	if err != nil {
		log.Fatal(err)
	}
	plan, err := collector.Collect(argv[:1], collector.WithTraced(collector.FromTrace(res)...))
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range plan.Entries {
		fmt.Println(e.Path, e.Reasons)
	}
}

// Warnings are typed: a caller acts on the kinds it cares about with no
// string matching. Here the traced paths left out as secrets are listed
// on their own, and the rest print as the CLI prints them.
func ExamplePlan_WarningsOf() {
	run := "opened by pid 7 (env)"
	plan, err := collector.Collect([]string{"/usr/bin/env"}, collector.WithNoAuto(),
		collector.WithTraced(
			collector.TracedFile{Path: "/etc/shadow", Reason: run},
			collector.TracedFile{Path: "/no/such/file", Reason: run}))
	if err != nil {
		log.Fatal(err)
	}
	for _, w := range plan.WarningsOf(collector.WarnLeftOut) {
		fmt.Println("secret left out:", w.Path)
	}
	for _, w := range plan.Warnings {
		if w.Kind != collector.WarnLeftOut {
			fmt.Println(w.Kind, w)
		}
	}
	// Output:
	// secret left out: /etc/shadow
	// not-added traced /no/such/file (opened by pid 7 (env)): elfscan: resolve /no/such/file: no such file or directory
}
