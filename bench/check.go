package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/fromscratch/fromscratch/check"
	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/image"
)

// checkBuilds are the builds whose --check is measured: curl's image, and
// a Python program with its standard library.
var checkBuilds = []struct {
	name  string
	progs []string
	opts  []collector.Option
	argv  []string
	env   []string
}{
	{"curl", []string{curl}, nil, []string{curl, "--version"}, nil},
	{"python", []string{"/usr/bin/python3"},
		[]collector.Option{collector.WithAdd("/usr/lib/python3.11", ""), collector.WithExclude("__pycache__")},
		[]string{"/usr/bin/python3", "-c", "import json, sqlite3, decimal, email; print(json.dumps([1]))"},
		[]string{"PYTHONDONTWRITEBYTECODE=1"}},
}

// checkSection measures what --check adds to an image build: the build
// (Collect, image.Build, image.Write to a tarball) with and without
// check.Run of its plan in between; and the sandbox's fixed cost, a check
// of /usr/bin/true against running it.
func checkSection(c *config) error {
	fmt.Println("== check: image builds (Collect + image.Build + image.Write(Tarball)) with and without check.Run of the plan; the sandbox's fixed cost ==")
	if os.Geteuid() != 0 {
		fmt.Println("  skipped: the sandbox needs root")
		return nil
	}
	tmp, err := os.MkdirTemp("", "fromscratch-bench-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ctx := context.Background()
	for _, b := range checkBuilds {
		if _, err := os.Stat(b.progs[0]); err != nil {
			fmt.Printf("  %s: skipped: %v\n", b.name, err)
			continue
		}
		var rep *check.Report
		build := func(round int, withCheck bool) error {
			plan, err := collector.Collect(b.progs, b.opts...)
			if err != nil {
				return err
			}
			if withCheck {
				if rep, err = check.Run(ctx, plan, check.WithArgs(b.argv...), check.WithEnv(b.env...), check.WithTimeout(time.Minute)); err != nil {
					return err
				}
			}
			img, err := image.Build(plan)
			if err != nil {
				return err
			}
			out := filepath.Join(tmp, fmt.Sprintf("%s-%v-%d.tar", b.name, withCheck, round+1))
			if _, err := image.Write(ctx, img, image.Tarball(out, "fromscratch-bench:latest")); err != nil {
				return err
			}
			return os.Remove(out)
		}
		plain := &contender{name: b.name + " image", warm: true, run: func(r int) error { return build(r, false) }}
		checked := &contender{name: b.name + " image --check", warm: true, run: func(r int) error { return build(r, true) }}
		if err := interleave(c.rounds, plain, checked); err != nil {
			return err
		}
		// The findings do not matter here, only the time to find them.
		checked.note = fmt.Sprintf("sandbox: %s; %d finding(s): %s", rep.Sandbox, len(rep.Problems()), strings.Join(rep.Problems(), "; "))
		table(plain, checked)
		printRatio(b.name+": --check / plain", checked, plain)
	}

	// The fixed cost: staging a small plan, two sandboxed runs (staged
	// and source root) of a program that does nothing, and the one
	// without the source run.
	plan, err := collector.Collect([]string{"/usr/bin/true"})
	if err != nil {
		return err
	}
	bare := &contender{name: "true (os/exec)", warm: true, peer: true, run: func(int) error {
		return runCmd(exec.Command("/usr/bin/true"), nil)
	}}
	full := &contender{name: "check.Run(true)", warm: true, run: func(int) error {
		_, err := check.Run(ctx, plan)
		return err
	}}
	one := &contender{name: "check.Run(true), WithoutCompare", warm: true, run: func(int) error {
		_, err := check.Run(ctx, plan, check.WithoutCompare())
		return err
	}}
	if err := interleave(c.rounds, bare, full, one); err != nil {
		return err
	}
	table(bare, full, one)
	if bare.ok() {
		fmt.Printf("  %-*s %s (staged run alone: %s)\n", labelWidth, "sandbox fixed cost (median wall):",
			dur(full.median().wall-bare.median().wall), dur(one.median().wall-bare.median().wall))
	}
	return nil
}
