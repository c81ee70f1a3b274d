package check

import (
	"io"
	"time"
)

// An Option configures Run and Fix.
type Option func(*config)

type config struct {
	argv, cmd      []string
	env            []string
	user, dir      string
	timeout        time.Duration
	grace          time.Duration
	output         bool
	noCompare      bool
	chrootOnly     bool
	stdin          io.Reader
	stdout, stderr io.Writer
	tmp            string
	rounds         int
	log            io.Writer
}

// WithArgs is the command line to run, a path inside the plan first; by
// default the plan's first program without arguments.
func WithArgs(argv ...string) Option { return func(c *config) { c.argv = argv } }

// WithCmd gives the plan's first program arguments, as an image's Cmd
// does for its default entrypoint; WithArgs wins over it.
func WithCmd(args ...string) Option { return func(c *config) { c.cmd = args } }

// WithEnv sets environment variables, "KEY=value", over the default: PATH
// and the plan's Env, as the image gets them (image.WithEnv).
func WithEnv(env ...string) Option {
	return func(c *config) { c.env = append(c.env, env...) }
}

// WithUser runs the program as "USER[:GROUP]", names looked up in the
// plan's /etc/passwd and /etc/group, or numbers; root by default.
func WithUser(user string) Option { return func(c *config) { c.user = user } }

// WithWorkingDir is the program's working directory (default "/").
func WithWorkingDir(dir string) Option { return func(c *config) { c.dir = dir } }

// WithTimeout stops a program still running after d (a server): SIGTERM,
// then SIGKILL WithGrace later. A stopped run is a success when nothing
// was missing. Without it a run may last forever.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithGrace is the time between SIGTERM and SIGKILL (default 2s).
func WithGrace(d time.Duration) Option { return func(c *config) { c.grace = d } }

// WithOutput compares the standard output of the two runs too.
func WithOutput() Option { return func(c *config) { c.output = true } }

// WithoutCompare skips the run in the source root: only missing paths are
// reported, and the accounts the staged run used by ID, but not the
// entries a listing hid (MissingEntry), which only that run shows.
func WithoutCompare() Option { return func(c *config) { c.noCompare = true } }

// WithChrootOnly uses the lesser sandbox (a chroot, no namespaces) even
// where namespaces are permitted: what Run falls back to in "docker
// build".
func WithChrootOnly() Option { return func(c *config) { c.chrootOnly = true } }

// WithStdio connects the staged run's standard files (default: the null
// device). stdin is read whole before the runs, and each run reads a copy
// of it; the run in the source root writes to neither stdout nor stderr.
func WithStdio(stdin io.Reader, stdout, stderr io.Writer) Option {
	return func(c *config) { c.stdin, c.stdout, c.stderr = stdin, stdout, stderr }
}

// WithTempDir is where the staging tree is made (default os.TempDir).
// Hard links need it on the file system of the source root.
func WithTempDir(dir string) Option { return func(c *config) { c.tmp = dir } }

// WithRounds bounds Fix's rounds (default 5).
func WithRounds(n int) Option { return func(c *config) { c.rounds = n } }

// WithLog makes Fix print one line per round to w, with what it adds,
// then one line per addition saying why.
func WithLog(w io.Writer) Option { return func(c *config) { c.log = w } }
