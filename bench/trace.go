package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/fromscratch/fromscratch/trace"
)

// traceCommands are file-heavy: Python importing modules, and a shell
// pipeline that execs and reads every zoneinfo file; and /bin/true, whose
// run is each tracer's fixed cost (trace.Run's includes re-executing this
// program as its helper).
var traceCommands = []struct {
	name string
	argv []string
}{
	{"fixed cost", []string{"/bin/true"}},
	{"python imports", []string{"/usr/bin/python3", "-c", "import json, sqlite3, decimal, ssl, email, http.client"}},
	{"zoneinfo cat", []string{"/bin/sh", "-c", "find /usr/share/zoneinfo -type f | xargs cat > /dev/null"}},
}

// traceSection runs each command untraced, under trace.Run and under
// strace, all in interleaved rounds.
func traceSection(c *config) error {
	fmt.Printf("== trace: file-heavy commands traced with trace.Run, against untraced (os/exec) and %s, interleaved rounds ==\n", "strace -f -e trace=%file -o /dev/null")
	strace, straceErr := exec.LookPath("strace")
	type group struct {
		name                           string
		argv                           []string
		untraced, ours, strace, seccmp *contender
		accesses, files                int
	}
	var groups []*group
	var all []*contender
	env := os.Environ()
	for _, tc := range traceCommands {
		g := &group{name: tc.name, argv: tc.argv}
		if _, err := os.Stat(tc.argv[0]); err != nil {
			fmt.Printf("  %s: skipped: %v\n", tc.name, err)
			continue
		}
		// The command itself must work: run it once, untraced.
		if err := runCmd(exec.Command(tc.argv[0], tc.argv[1:]...), env); err != nil {
			fmt.Printf("  %s: skipped: %s: %v\n", tc.name, strings.Join(tc.argv, " "), err)
			continue
		}
		g.untraced = &contender{name: "untraced", warm: true, peer: true, run: func(int) error {
			return runCmd(exec.Command(g.argv[0], g.argv[1:]...), env)
		}}
		g.ours = &contender{name: "trace.Run", warm: true, run: func(round int) error {
			// Error output to a pipe, as for the others (runCmd).
			var stderr bytes.Buffer
			res, err := trace.Run(context.Background(), g.argv, &trace.Options{Env: env, Stderr: &stderr, Timeout: time.Minute})
			if err != nil {
				return err
			}
			if res.ExitCode != 0 {
				return fmt.Errorf("exit code %d: %s", res.ExitCode, firstLine(stderr.String()))
			}
			g.accesses, g.files = len(res.Accesses), len(res.Files())
			return nil
		}}
		straceRun := func(flags ...string) func(int) error {
			return func(int) error {
				if straceErr != nil {
					return fmt.Errorf("no strace (apt-get install strace): %v", straceErr)
				}
				args := append(append([]string{"-f"}, flags...), "-e", "trace=%file", "-o", "/dev/null")
				return runCmd(exec.Command(strace, append(args, g.argv...)...), env)
			}
		}
		g.strace = &contender{name: "strace -f -e trace=%file", warm: true, peer: true, run: straceRun()}
		g.seccmp = &contender{name: "strace -f --seccomp-bpf -e trace=%file", warm: true, peer: true, run: straceRun("--seccomp-bpf")}
		groups = append(groups, g)
		all = append(all, g.untraced, g.ours, g.strace, g.seccmp)
	}
	if len(groups) == 0 {
		return fmt.Errorf("no command to trace")
	}
	if err := interleave(c.rounds, all...); err != nil {
		return err
	}
	for _, g := range groups {
		fmt.Printf("  %s: %s\n", g.name, strings.Join(quote(g.argv), " "))
		g.ours.note = fmt.Sprintf("%d accesses, %d files", g.accesses, g.files)
		table(g.untraced, g.ours, g.strace, g.seccmp)
		printRatio("trace.Run / untraced", g.ours, g.untraced)
		printRatio("strace / untraced", g.strace, g.untraced)
		printRatio("strace --seccomp-bpf / untraced", g.seccmp, g.untraced)
		printRatio("strace / trace.Run", g.strace, g.ours)
		printRatio("strace --seccomp-bpf / trace.Run", g.seccmp, g.ours)
	}
	return nil
}

// runCmd runs cmd with env and its output discarded, and returns its
// first line of error output with its failure.
func runCmd(cmd *exec.Cmd, env []string) error {
	var stderr bytes.Buffer
	cmd.Env, cmd.Stderr = env, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%v: %s", err, firstLine(stderr.String()))
	}
	return nil
}

func quote(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if strings.ContainsAny(a, " |>'\"$") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}
