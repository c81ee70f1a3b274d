package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/collector/image"
	"github.com/fromscratch/fromscratch/collector/trace"
)

// collectFlags are the flags of every command that builds a Plan.
type collectFlags struct {
	resolveFlags
	add          []string
	dlopen       []string
	exclude      []string
	noAuto       bool
	tzdata       bool
	charsets     []string
	path         string
	keepSetuid   bool
	allowMissing bool
	trace        bool
	traceTimeout time.Duration
}

func (f *collectFlags) register(fs *pflag.FlagSet) {
	f.resolveFlags.register(fs)
	fs.StringArrayVar(&f.add, "add", nil, "add the file or directory tree `SRC[:DST]` of the root (at DST in the image); ELF files among them bring their closure; repeatable")
	fs.StringArrayVar(&f.dlopen, "dlopen", nil, "add a library the program dlopens, by `NAME` (searched as the loader would) or PATH, with its closure; repeatable")
	fs.StringArrayVar(&f.exclude, "exclude", nil, "keep image paths matching `PATTERN` out (glob; ** for any depth; relative patterns match path ends); repeatable")
	fs.BoolVar(&f.noAuto, "no-auto", false, "add nothing the loader does not show (no NSS, gconv, libgcc_s, certificates, passwd, /tmp)")
	fs.BoolVar(&f.tzdata, "tzdata", false, "add the root's time zone database (/usr/share/zoneinfo)")
	fs.StringSliceVar(&f.charsets, "charsets", nil, "iconv character sets whose gconv modules to add when a program uses iconv (`LIST`, comma-separated; \"all\"; default: common ones)")
	fs.StringVar(&f.path, "path", strings.Join(collector.DefaultPath, ":"), "`DIRS` in the root where \"#!/usr/bin/env NAME\" scripts find NAME")
	fs.BoolVar(&f.keepSetuid, "keep-setuid", false, "keep setuid and setgid bits (dropped by default)")
	fs.BoolVar(&f.allowMissing, "allow-missing", false, "write the result even when the loader would not find a library")
	fs.BoolVar(&f.trace, "trace", false, "run PROG -- ARGS once under a tracer and add every file it opened (host only)")
	fs.DurationVar(&f.traceTimeout, "trace-timeout", 5*time.Minute, "kill the traced run after `DURATION`")
}

// plan builds the Plan for the command line: with --trace, args are
// "PROG [FILE...] -- ARGS..." and PROG runs first; progOut receives the
// traced program's standard output.
func (f *collectFlags) plan(fs *pflag.FlagSet, progOut io.Writer) (*collector.Plan, error) {
	args := fs.Args()
	var progArgs []string
	if dash := fs.ArgsLenAtDash(); dash >= 0 {
		if !f.trace {
			return nil, usageError{fmt.Errorf("arguments after -- are for --trace")}
		}
		args, progArgs = args[:dash], args[dash:]
	}
	ropts, err := f.options()
	if err != nil {
		return nil, err
	}
	paths, err := f.rootPaths(args)
	if err != nil {
		return nil, err
	}
	opts := []collector.Option{collector.WithResolver(ropts...)}
	for _, a := range f.add {
		src, dst := collector.ParseAdd(a)
		opts = append(opts, collector.WithAdd(src, dst))
	}
	if len(f.dlopen) > 0 {
		opts = append(opts, collector.WithDlopen(f.dlopen...))
	}
	if len(f.exclude) > 0 {
		opts = append(opts, collector.WithExclude(f.exclude...))
	}
	if f.noAuto {
		opts = append(opts, collector.WithNoAuto())
	}
	if f.tzdata {
		opts = append(opts, collector.WithTZData())
	}
	if f.charsets != nil {
		opts = append(opts, collector.WithCharsets(f.charsets...))
	}
	opts = append(opts, collector.WithPath(strings.Split(f.path, ":")...))
	if f.keepSetuid {
		opts = append(opts, collector.WithKeepSetuid())
	}
	if f.trace {
		if f.root != "/" && f.root != "" {
			return nil, usageError{fmt.Errorf("--trace runs the program on this machine and cannot be combined with --root")}
		}
		traced, err := f.runTrace(paths[0], progArgs, progOut)
		if err != nil {
			return nil, err
		}
		opts = append(opts, collector.WithTraced(traced...))
	}
	plan, err := collector.Collect(paths, opts...)
	if err != nil {
		return nil, err
	}
	return plan, nil
}

// runTrace runs prog under the tracer and returns the files it opened.
func (f *collectFlags) runTrace(prog string, args []string, progOut io.Writer) ([]string, error) {
	res, err := trace.Run(context.Background(), append([]string{prog}, args...), &trace.Options{
		Stdin:   os.Stdin,
		Stdout:  progOut,
		Stderr:  errw,
		Timeout: f.traceTimeout,
	})
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		fmt.Fprintf(errw, "fromscratch: warning: traced run of %s exited with status %d; what it opened is added all the same\n", prog, res.ExitCode)
	}
	return res.Files(), nil
}

// checkPlan prints the plan's warnings and refuses a plan with missing
// libraries unless --allow-missing: writing an image that cannot start is
// the silent wrong answer we never give.
func (f *collectFlags) checkPlan(plan *collector.Plan) error {
	for _, w := range plan.Warnings {
		fmt.Fprintf(errw, "fromscratch: warning: %s\n", w)
	}
	if plan.Graph == nil || f.allowMissing {
		return nil
	}
	if err := reportMissing(plan.Graph); err != nil {
		return fmt.Errorf("the loader would not find %d librar%s (listed above); nothing written (--allow-missing writes it anyway)",
			len(plan.Graph.Missing()), plural(len(plan.Graph.Missing()), "y", "ies"))
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// sourceDateEpoch is the time written into files and images: the flag, or
// $SOURCE_DATE_EPOCH, or 0.
func sourceDateEpoch(flag string) (time.Time, error) {
	v := flag
	if v == "" {
		v = os.Getenv("SOURCE_DATE_EPOCH")
	}
	t, err := image.ParseSourceDateEpoch(v)
	if err != nil {
		return time.Time{}, usageError{err}
	}
	return t, nil
}
