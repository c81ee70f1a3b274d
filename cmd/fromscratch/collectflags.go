package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/image"
	"github.com/fromscratch/fromscratch/internal/quote"
	"github.com/fromscratch/fromscratch/trace"
)

// collectFlags are the flags of every command that builds a Plan.
type collectFlags struct {
	ses *session // where the running command prints; set when it starts
	resolveFlags
	fromFlags
	add          []string
	dlopen       []string
	exclude      []string
	noAuto       bool
	tzdata       bool
	charsets     []string
	path         string
	keepSetuid   bool
	tmp, users   bool
	packages     bool
	allowMissing bool
	trace        bool
	traceTimeout time.Duration
	rules        ruleFlags
	checks       checkFlags
}

func (f *collectFlags) register(fs *pflag.FlagSet) {
	f.resolveFlags.register(fs)
	f.fromFlags.register(fs)
	fs.StringArrayVar(&f.add, "add", nil, "add the file or directory tree `SRC[:DST]` of the root (at DST in the image); ELF files among them bring their closure; repeatable")
	fs.StringArrayVar(&f.dlopen, "dlopen", nil, "add a library the program dlopens, by `NAME` (searched as the loader would) or PATH, with its closure; repeatable")
	fs.StringArrayVar(&f.exclude, "exclude", nil, "keep image paths matching `PATTERN` out (glob; ** for any depth; relative patterns match path ends); repeatable")
	fs.BoolVar(&f.noAuto, "no-auto", false, "add nothing the loader does not show (no NSS, gconv, libgcc_s, certificates, locales, package configuration, dlopen notes, passwd, /tmp)")
	fs.BoolVar(&f.tzdata, "tzdata", false, "add the root's time zone database (/usr/share/zoneinfo)")
	fs.StringSliceVar(&f.charsets, "charsets", nil, "iconv character sets whose gconv modules to add when a program uses iconv (`LIST`, comma-separated; \"all\"; default: common ones)")
	fs.StringVar(&f.path, "path", strings.Join(collector.DefaultPath(), ":"), "`DIRS` in the root where \"#!/usr/bin/env NAME\" scripts find NAME")
	fs.BoolVar(&f.tmp, "tmp", false, "add /tmp (mode 1777) even when no program shows it makes temporary files (static programs, Go, Python)")
	fs.BoolVar(&f.users, "users", false, "add /etc/passwd and /etc/group (root, nobody, nonroot 65532) even when no program shows it looks users up")
	fs.BoolVar(&f.packages, "package-metadata", false, "add /var/lib/dpkg/status.d/PACKAGE for each Debian package of the root owning a file of the image, and /etc/os-release, so that scanners (Trivy, Grype, Syft) see them")
	fs.BoolVar(&f.keepSetuid, "keep-setuid", false, "keep setuid and setgid bits (dropped by default)")
	fs.BoolVar(&f.allowMissing, "allow-missing", false, "write the result even when the loader would not find a library")
	fs.BoolVar(&f.trace, "trace", false, "run PROG -- ARGS once under a tracer (in the root, sandboxed, with --root or --from) and add every file it opened (credentials and your home left out)")
	fs.DurationVar(&f.traceTimeout, "trace-timeout", 5*time.Minute, "kill the traced run after `DURATION` (0: no limit)")
	f.rules.register(fs)
	f.checks.register(fs)
}

// plan builds the Plan for the command line: with --trace, args are
// "PROG [FILE...] -- ARGS..." and PROG runs first.
func (f *collectFlags) plan(fs *pflag.FlagSet) (*collector.Plan, error) {
	if f.traceTimeout < 0 {
		return nil, usageError{fmt.Errorf("--trace-timeout %v: negative (0 means no limit)", f.traceTimeout)}
	}
	paths, progArgs, err := f.fileArgs(fs)
	if err != nil {
		return nil, err
	}
	ropts, err := f.options()
	if err != nil {
		return nil, err
	}
	opts := append([]collector.Option{collector.WithResolver(ropts...)}, f.fromOptions()...)
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
	if f.tmp {
		opts = append(opts, collector.WithTmp())
	}
	if f.users {
		opts = append(opts, collector.WithUsers())
	}
	if f.packages {
		opts = append(opts, collector.WithPackageMetadata())
	}
	opts = append(opts, f.rules.options()...)
	if f.trace {
		traced, err := f.runTrace(paths[0], progArgs)
		if err != nil {
			return nil, err
		}
		opts = append(opts, traced...)
	}
	if f.allowMissing {
		opts = append(opts, collector.WithAllowMissing())
	}
	f.checks.workdir = f.workdir
	plan, err := f.checks.collect(f.ses, paths, progArgs, opts)
	var missing *collector.MissingError
	if errors.As(err, &missing) {
		for _, m := range missing.Missing {
			fmt.Fprintln(f.ses.errw, missingLine(m, f.workDir()))
		}
		n := len(missing.Missing)
		return nil, missingError{fmt.Sprintf("the loader would not find %d librar%s (listed above); nothing written (--allow-missing writes it anyway)", n, plural(n, "y", "ies"))}
	}
	if err != nil {
		return nil, err
	}
	return plan, nil
}

// loaderGraph is the loader's answer for the plan's programs (their ELF
// files, or their scripts' interpreters): the plan's own closures, or with
// --resolver=loader what the host's loader says.
func (f *collectFlags) loaderGraph(plan *collector.Plan) (*elfscan.Graph, error) {
	if f.resolver == "loader" {
		return f.resolve(plan.Executables)
	}
	return plan.Loader(), nil
}

// crossCheck asks the host's real loader for the closure of paths and
// compares it, by real path, with the emulated one the plan was built from:
// --resolver=loader for rootfs and image is a check, never the source.
func (f *collectFlags) crossCheck(paths []string, g *elfscan.Graph) error {
	host, err := f.resolve(paths)
	if err != nil {
		return err
	}
	named := map[string]bool{}
	for _, p := range paths {
		named[p] = true
	}
	// The plan's graph also holds the closures of what the rules added
	// (NSS and gconv modules…), which the loader does not see.
	set := func(g *elfscan.Graph) map[string]bool {
		m := map[string]bool{}
		for _, c := range g.Closures {
			if !named[c.Root.Path] {
				continue
			}
			for _, o := range c.Objects {
				m[o.RealPath] = true
			}
		}
		return m
	}
	ours, theirs := set(g), set(host)
	var diff []string
	for p := range theirs {
		if !ours[p] {
			diff = append(diff, "+"+p)
		}
	}
	for p := range ours {
		if !theirs[p] {
			diff = append(diff, "-"+p)
		}
	}
	if len(diff) > 0 {
		sort.Strings(diff)
		return fmt.Errorf("the host's loader disagrees with the emulation (+ only the loader's, - only ours): %s", strings.Join(diff, " "))
	}
	return nil
}

// fileArgs splits the arguments into the FILEs, as paths inside the root,
// and, with --trace, the traced program's arguments after "--".
func (f *collectFlags) fileArgs(fs *pflag.FlagSet) (paths, progArgs []string, err error) {
	args := fs.Args()
	if dash := fs.ArgsLenAtDash(); dash >= 0 {
		if !f.trace && !f.checks.on() {
			return nil, nil, usageError{fmt.Errorf("arguments after -- are for --trace or --check")}
		}
		args, progArgs = args[:dash], args[dash:]
	}
	if args, err = f.stage(fs, args); err != nil {
		return nil, nil, err
	}
	paths, err = f.rootPaths(args)
	return paths, progArgs, err
}

// runTrace runs prog under the tracer, with this command's standard input
// and both of the program's outputs on this command's standard error (one
// rule for every command: the program's output never mixes with
// fromscratch's own, the tree, the plan or the digest), and returns the files
// it used, each with the first process that used it as its reason, and the
// user and group IDs it took on or gave files to (the root's accounts of
// those go into the image: a service that drops privileges to its user),
// as options.
// Result.Files has left out /proc, /sys, /dev, what the run wrote or
// created, and fromscratch itself. A run killed by --trace-timeout is an
// error: what it used is incomplete, so nothing is written.
func (f *collectFlags) runTrace(prog string, args []string) ([]collector.Option, error) {
	opts := &trace.Options{
		Stdin:   os.Stdin,
		Stdout:  f.ses.errw,
		Stderr:  f.ses.errw,
		Timeout: f.traceTimeout,
	}
	var res *trace.Result
	var err error
	if f.root != "" && f.root != "/" {
		// In another root (--root, --from) the program runs there, as a
		// container runtime would run it, and its paths are the root's.
		opts.Sandbox = &trace.Sandbox{Root: f.root, Isolate: true, Overlay: true}
		res, err = trace.Run(f.ses.ctx, append([]string{prog}, args...), opts)
		var se *trace.SandboxError
		if errors.As(err, &se) {
			fmt.Fprintf(f.ses.errw, "fromscratch: trace: sandbox: a chroot only, without namespaces (%v): writes of the traced run reach %s\n", se, quote.Name(f.root))
			opts.Sandbox = &trace.Sandbox{Root: f.root}
			res, err = trace.Run(f.ses.ctx, append([]string{prog}, args...), opts)
		}
		if errors.Is(err, syscall.ENOEXEC) {
			return nil, fmt.Errorf("--trace: %s cannot run on this machine (no qemu-user binfmt handler for its architecture?): %w", quote.Name(prog), err)
		}
	} else {
		res, err = trace.Run(f.ses.ctx, append([]string{prog}, args...), opts)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("%w (--trace-timeout): the program, or a process it left running, did not finish; nothing written", err)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case res.Signal != 0:
		fmt.Fprintf(f.ses.errw, "fromscratch: warning: traced run of %s was killed by signal %d (%v); what it used is added all the same\n", quote.Name(prog), int(res.Signal), res.Signal)
	case res.ExitCode != 0:
		fmt.Fprintf(f.ses.errw, "fromscratch: warning: traced run of %s exited with status %d; what it used is added all the same\n", quote.Name(prog), res.ExitCode)
	}
	return []collector.Option{collector.WithTraced(collector.FromTrace(res)...), collector.WithAccountIDs(collector.TracedIDs(res)...)}, nil
}

// printWarnings prints the plan's warnings: after the work is done, so
// that a failure is one line.
func (s *session) printWarnings(plan *collector.Plan) {
	for _, w := range plan.Warnings {
		fmt.Fprintf(s.errw, "fromscratch: warning: %s\n", quote.Words(flagText(w.String())))
	}
}

// checkPlan checks the plan against the host's loader with
// --resolver=loader. (Collect itself refuses a plan with missing libraries
// unless --allow-missing.)
func (f *collectFlags) checkPlan(plan *collector.Plan) error {
	if f.resolver == "loader" {
		if err := f.crossCheck(plan.Executables, plan.Graph); err != nil {
			return err
		}
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
