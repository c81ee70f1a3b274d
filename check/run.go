package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fromscratch/fromscratch/collector"
	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/image"
	"github.com/fromscratch/fromscratch/trace"
)

// hostname is the host name of an isolated run.
const hostname = "fromscratch-check"

// Run checks plan: see the package documentation. An error means the
// check could not be made (the sandbox or the tracer could not start, a
// file could not be staged); what the check found is in the Report.
func Run(ctx context.Context, plan *collector.Plan, opts ...Option) (*Report, error) {
	cfg := newConfig(opts)
	if plan == nil || plan.Root == nil {
		return nil, errors.New("check: a plan with a Root is needed")
	}
	argv := cfg.argv
	if len(argv) == 0 {
		if len(plan.Programs) == 0 {
			return nil, errors.New("check: the plan has no program to run: give the command line (WithArgs)")
		}
		argv = append(plan.Programs[:1:1], cfg.cmd...)
	}
	env := setEnv(setEnv([]string{image.DefaultPath}, plan.Env), cfg.env)
	tmp, err := os.MkdirTemp(cfg.tmp, "fromscratch-check-")
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	defer os.RemoveAll(tmp)

	r := &runner{cfg: cfg, argv: argv, env: env}
	if cfg.stdin != nil {
		// Both runs read the same input.
		if r.stdin, err = io.ReadAll(cfg.stdin); err != nil {
			return nil, fmt.Errorf("check: reading the standard input: %w", err)
		}
	}
	rep := &Report{Sandbox: "namespaces"}
	isolate := !cfg.chrootOnly
	var o *outcome
	if isolate {
		o, err = r.attempt(ctx, plan, filepath.Join(tmp, "root"), true)
		var se *trace.SandboxError
		switch {
		case errors.As(err, &se):
			isolate = false
			rep.Degraded = se.Error()
		case err != nil:
			return nil, err
		}
	} else {
		rep.Degraded = "WithChrootOnly"
	}
	if !isolate {
		if o, err = r.attempt(ctx, plan, filepath.Join(tmp, "chroot"), false); err != nil {
			return nil, err
		}
		rep.Sandbox = "chroot"
		rep.Degraded = "a chroot only, without namespaces (" + rep.Degraded + "): no /proc, no private network, processes not isolated, writes of the source run not contained" +
			strings.Join(append([]string{""}, o.lacking...), ", no ")
	}
	rep.Staged, rep.Source, rep.Compared = o.staged, o.source, !cfg.noCompare
	rep.OutputDiffers = cfg.output && rep.Compared && !bytes.Equal(o.stagedOut.Bytes(), o.sourceOut.Bytes())
	if o.res != nil {
		rep.Trace, rep.SourceTrace = o.res, o.srcRes
		rep.Missing = missing(plan, o.res.Failed)
		// The staged tree as the image has it: its symlinks resolved
		// inside it.
		staged, err := elfscan.NewRoot(o.root)
		if err != nil {
			return nil, fmt.Errorf("check: %w", err)
		}
		rep.Missing = append(rep.Missing, missingEntries(plan, staged, o.res, o.srcRes, rep.Missing)...)
		rep.Missing = append(rep.Missing, missingAccounts(plan, staged, o.res, o.srcRes)...)
	}
	return rep, nil
}

// outcome is what the two runs of one sandbox gave.
type outcome struct {
	root                 string        // the staged tree
	res                  *trace.Result // the staged run
	srcRes               *trace.Result // the run in the source root
	staged, source       Exit
	stagedOut, sourceOut bytes.Buffer
	lacking              []string // what a chroot's /dev could not have
}

// attempt stages plan at root and runs the command line there and in the
// source root at the same time, isolated or chroot'ed. A sandbox that
// could not be set up is a *trace.SandboxError, with the staging removed.
func (r *runner) attempt(ctx context.Context, plan *collector.Plan, root string, isolate bool) (*outcome, error) {
	o := &outcome{root: root}
	if err := os.Mkdir(root, 0o755); err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	// Hard links only under the overlay, which keeps writes off them.
	if err := stage(plan, root, isolate); err != nil {
		return nil, err
	}
	if !isolate {
		var err error
		if o.lacking, err = stageChroot(root); err != nil {
			return nil, err
		}
	}
	sb, err := r.sandbox(root, isolate)
	if err != nil {
		return nil, err
	}
	var srcErr error
	var wg sync.WaitGroup
	if !r.cfg.noCompare {
		src, err := r.sandbox(plan.Root.Dir(), isolate)
		if err != nil {
			return nil, err
		}
		wg.Go(func() { o.srcRes, o.source, srcErr = r.run(ctx, src, false, &o.sourceOut) })
	}
	o.res, o.staged, err = r.run(ctx, sb, true, &o.stagedOut)
	wg.Wait()
	var se *trace.SandboxError
	switch {
	case errors.As(err, &se):
		if err := os.RemoveAll(root); err != nil {
			return nil, fmt.Errorf("check: %w", err)
		}
		return nil, se
	case err != nil:
		return nil, fmt.Errorf("check: %w", err)
	case errors.As(srcErr, &se):
		if err := os.RemoveAll(root); err != nil {
			return nil, fmt.Errorf("check: %w", err)
		}
		return nil, &trace.SandboxError{Step: "in the source root: " + se.Step, Err: se.Err}
	case srcErr != nil:
		return nil, fmt.Errorf("check: the run in the source root: %w", srcErr)
	}
	return o, nil
}

func newConfig(opts []Option) *config {
	cfg := &config{grace: 2 * time.Second, rounds: 5}
	for _, o := range opts {
		o(cfg)
	}
	return cfg
}

// setEnv sets each KEY=VALUE of vars in env, as the image's config gets
// them.
func setEnv(env, vars []string) []string {
	for _, kv := range vars {
		k, _, _ := strings.Cut(kv, "=")
		env = slices.DeleteFunc(env, func(e string) bool { return strings.HasPrefix(e, k+"=") })
		env = append(env, kv)
	}
	return env
}

// runner runs the command line in one sandbox or another.
type runner struct {
	cfg   *config
	argv  []string
	env   []string
	stdin []byte // WithStdio's input, read once
}

// sandbox is the trace.Sandbox rooted at root, with the credentials of
// WithUser looked up in that root.
func (r *runner) sandbox(root string, isolate bool) (*trace.Sandbox, error) {
	sb := &trace.Sandbox{Root: root, Isolate: isolate, Overlay: isolate}
	if isolate {
		sb.Hostname = hostname
	}
	if r.cfg.user != "" {
		var err error
		if sb.UID, sb.GID, err = lookupUser(root, r.cfg.user); err != nil {
			return nil, err
		}
	}
	return sb, nil
}

// run runs the command line in sb; the standard output goes to out and,
// with WithOutput, to capture too.
func (r *runner) run(ctx context.Context, sb *trace.Sandbox, staged bool, capture *bytes.Buffer) (*trace.Result, Exit, error) {
	var out io.Writer
	if staged {
		out = r.cfg.stdout
	}
	stdout := out
	if r.cfg.output {
		if out != nil {
			stdout = io.MultiWriter(out, capture)
		} else {
			stdout = capture
		}
	}
	var stdin io.Reader
	if r.stdin != nil {
		stdin = bytes.NewReader(r.stdin)
	}
	var stderr io.Writer
	if staged {
		stderr = r.cfg.stderr
	}
	res, err := trace.Run(ctx, r.argv, &trace.Options{
		Dir:      r.cfg.dir,
		Env:      r.env,
		Stdin:    stdin,
		Stdout:   stdout,
		Stderr:   stderr,
		Timeout:  r.cfg.timeout,
		Grace:    r.cfg.grace,
		Failures: true,
		Sandbox:  sb,
	})
	var exit Exit
	var sys *os.SyscallError
	var pe *fs.PathError
	switch {
	case err == nil:
		exit.Code, exit.Signal = res.ExitCode, res.Signal
	case res != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		exit.Stopped = true
	case res == nil && errors.As(err, &sys) && sys.Syscall == "exec":
		exit.StartError = "exec " + r.argv[0] + ": " + sys.Err.Error()
	case res == nil && errors.As(err, &pe) && (pe.Op == "look up" || pe.Op == "chdir"):
		exit.StartError = pe.Error()
	default:
		return nil, exit, err
	}
	return res, exit, nil
}

// pseudo are the kernel's file systems: a container has its own.
var pseudo = []string{"/proc", "/sys", "/dev"}

// deliberate are the paths an image lacks on purpose, and why: their
// absence is not a finding.
var deliberate = map[string]string{
	"/etc/ld.so.cache": "every library is where the loader finds it without the cache (the collector adds one where it is needed)",
	"/etc/localtime":   "containers run in UTC unless the time zone database is asked for (collector.WithTZData)",
}

// missing turns the failed lookups of the staged run into what was
// missing: those whose path exists in the source root, once each.
func missing(plan *collector.Plan, failed []trace.Access) []Missing {
	var out []Missing
	seen := map[string]bool{}
	excluded := excludedPaths(plan)
	for _, a := range failed {
		p := a.Path
		if a.Create && a.Err == syscall.ENOENT {
			p = path.Dir(p) // what was missing is where to create it
		}
		if seen[p] || isPseudo(p) || deliberate[p] != "" || under(p, excluded) {
			continue
		}
		seen[p] = true
		st, err := plan.Root.Stat(p)
		if err != nil {
			continue // missing in the source too: a probe, an option
		}
		// One file looked for under several names (/lib/x → /usr/lib/x,
		// the loader trying each directory) is missing once.
		real := p
		if r, _, err := plan.Root.Resolve(p); err == nil {
			real = r
		}
		if seen["\x00"+real] {
			continue
		}
		seen["\x00"+real] = true
		out = append(out, Missing{
			Path: p, Type: st.Mode().Type(), Lookup: a.Op, Create: a.Create,
			Name: a.Path, PID: a.PID, Comm: a.Comm, Err: a.Err,
		})
	}
	return out
}

func isPseudo(p string) bool { return under(p, pseudo) }

// under reports whether p is one of dirs or below one.
func under(p string, dirs []string) bool {
	for _, d := range dirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// excludedPaths are the paths the plan left out on the user's word
// (collector.WithExclude): missing on purpose.
func excludedPaths(plan *collector.Plan) []string {
	var out []string
	for _, e := range plan.Excluded {
		// "PATH (PATTERN)"
		if i := strings.LastIndex(e, " ("); i > 0 {
			e = e[:i]
		}
		out = append(out, e)
	}
	return out
}
