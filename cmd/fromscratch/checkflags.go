package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/fromscratch/fromscratch/check"
	"github.com/fromscratch/fromscratch/collector"
)

// checkFlags are --check, --fix and their options, shared by rootfs, image
// and deps (which only reports).
type checkFlags struct {
	mode    string // "", "fail" or "warn"
	fix     bool
	timeout time.Duration
	output  bool
	// The image's config, set by image: what the check runs and how.
	entrypoint, cmd       []string
	entrypointSet, cmdSet bool
	env                   []string
	user, workdir         string
	base                  string // image --base: its files are not in the sandbox
	reportOnly            bool   // deps: --fix is refused
}

func (f *checkFlags) register(fs *pflag.FlagSet) {
	fs.Var((*checkMode)(&f.mode), "check", "run the program (PROG ARGS after --, else the image's entrypoint and cmd) in a sandbox made of exactly the planned files, report every file it looked for in vain that the root has, compare its exit status with a run in the root, and fail if anything is wrong (exit 2, nothing written); --check=warn only warns")
	fs.Lookup("check").NoOptDefVal = "fail"
	fs.BoolVar(&f.fix, "fix", false, "--check, then add what the run missed (files with their libraries, directories, symlinks) and check again, until nothing is missing")
	fs.DurationVar(&f.timeout, "check-timeout", 0, "stop a checked program still running after `DURATION` (SIGTERM, then SIGKILL): a server; a stop is a success if nothing was missing")
	fs.BoolVar(&f.output, "check-output", false, "--check compares the program's standard output with the root's too")
}

// checkMode is the value of --check: "fail" (the flag alone) or "warn".
type checkMode string

func (m *checkMode) String() string { return string(*m) }

func (m *checkMode) Set(v string) error {
	if v != "fail" && v != "warn" {
		return fmt.Errorf("want --check or --check=warn")
	}
	*m = checkMode(v)
	return nil
}

// Type is empty, so that the help shows --check[=fail], not a type.
func (m *checkMode) Type() string { return "" }

// on reports whether a check runs.
func (f *checkFlags) on() bool { return f.mode != "" || f.fix }

// image sets the config the image will get, which the check runs with.
func (f *checkFlags) image(i *imageFlags) {
	f.entrypoint, f.cmd = i.entrypoint, i.cmd
	f.entrypointSet, f.cmdSet = i.entrypointSet, i.cmdSet
	f.env = i.env // the workdir is --workdir of every command: collectFlags.plan
	f.user, f.base = i.user, i.base
	if i.nonroot {
		f.user = "65532:65532"
	}
}

func (f *checkFlags) validate() error {
	if f.fix && f.reportOnly {
		return usageError{fmt.Errorf("--fix: deps only reports; use --check")}
	}
	return nil
}

// options are the check's options for the programs paths and the
// arguments after "--".
func (f *checkFlags) options(s *session, paths, progArgs []string) []check.Option {
	opts := []check.Option{check.WithStdio(nil, s.errw, s.errw), check.WithEnv(f.env...)}
	switch {
	case progArgs != nil:
		opts = append(opts, check.WithArgs(append([]string{paths[0]}, progArgs...)...))
	case f.entrypointSet:
		argv := append([]string(nil), f.entrypoint...)
		if f.cmdSet {
			argv = append(argv, f.cmd...)
		}
		opts = append(opts, check.WithArgs(argv...))
	case f.cmdSet:
		opts = append(opts, check.WithCmd(f.cmd...))
	}
	if f.timeout > 0 {
		opts = append(opts, check.WithTimeout(f.timeout))
	}
	if f.output {
		opts = append(opts, check.WithOutput())
	}
	if f.user != "" {
		opts = append(opts, check.WithUser(f.user))
	}
	if f.workdir != "" {
		opts = append(opts, check.WithWorkingDir(f.workdir))
	}
	if f.fix {
		opts = append(opts, check.WithLog(prefixWriter{s.errw, "fromscratch: "}))
	}
	return opts
}

// collect is collector.Collect, then the check or the fix loop; the plan
// it returns is what rootfs and image write. A check that finds anything
// is an error unless --check=warn.
func (f *checkFlags) collect(s *session, paths, progArgs []string, copts []collector.Option) (*collector.Plan, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	if !f.on() {
		return collector.Collect(paths, copts...)
	}
	ctx := context.Background()
	opts := f.options(s, paths, progArgs)
	var plan *collector.Plan
	var rep *check.Report
	var err error
	if f.fix {
		plan, rep, err = check.Fix(ctx, paths, copts, opts...)
	} else if plan, err = collector.Collect(paths, copts...); err == nil {
		rep, err = check.Run(ctx, plan, opts...)
	}
	if err != nil {
		return nil, err
	}
	if rep.Degraded != "" {
		fmt.Fprintf(s.errw, "fromscratch: check: sandbox: %s\n", rep.Degraded)
	}
	if f.base != "" {
		fmt.Fprintf(s.errw, "fromscratch: check: sandbox: the files and environment of --base %s are not in it, only the plan's\n", f.base)
	}
	problems := rep.Problems()
	for _, p := range problems {
		fmt.Fprintf(s.errw, "fromscratch: check: %s\n", p)
	}
	switch {
	case len(problems) == 0:
		fmt.Fprintf(s.errw, "fromscratch: check: passed (%v)\n", rep.Staged)
	case f.mode == "warn":
		fmt.Fprintf(s.errw, "fromscratch: warning: the check found %d problem%s (listed above)\n", len(problems), plural(len(problems), "", "s"))
	default:
		return nil, fmt.Errorf("the check found %d problem%s (listed above); nothing written (--check=warn writes it anyway)", len(problems), plural(len(problems), "", "s"))
	}
	return plan, nil
}

// prefixWriter writes each Write (one line) with a prefix.
type prefixWriter struct {
	w      interface{ Write([]byte) (int, error) }
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := p.w.Write(append([]byte(p.prefix), b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}
