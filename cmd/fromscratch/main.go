package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/fromscratch/fromscratch/elfscan"
	"github.com/fromscratch/fromscratch/internal/quote"
)

// Exit codes: 1 means the job was done but something is missing (a library
// the loader would not find); 2 means bad input or a failure.
const (
	exitMissing = 1
	exitError   = 2
)

// A command is one subcommand of fromscratch.
type command struct {
	name  string
	args  string // the synopsis after the name
	short string
	long  string
	// flags declares the command's flags; run is called with the rest.
	flags func(fs *pflag.FlagSet) func(s *session, args []string) error
}

// A session is where a running command prints and the context it runs
// in, cancelled on SIGINT, SIGTERM and SIGHUP (cancelOnSignal): passed
// down, never global, so that tests can run commands side by side.
type session struct {
	out, errw io.Writer
	ctx       context.Context
	args      []string // the command line after "fromscratch"

	// With the run cache (useRunCache): what the Roots read, and keep,
	// which keeps the output under the command line.
	inputs *elfscan.InputLog
	keep   func(exit int)
}

var commands = []*command{depsCommand, rootfsCommand, imageCommand, versionCommand}

// errMissing reports that the command finished but the closure is not
// complete; what is missing has been printed.
var errMissing = errors.New("missing libraries")

// missingError is errMissing with a message to print: rootfs and image
// say that they wrote nothing, and exit 1 as deps does.
type missingError struct{ msg string }

func (e missingError) Error() string        { return e.msg }
func (e missingError) Is(target error) bool { return target == errMissing }

// usageError is a mistake in the command line: it prints with a hint to
// --help.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without os.Exit, for tests.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		mainUsage(stderr)
		return exitError
	}
	switch args[0] {
	case "-h", "--help", "help":
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				return runCommand(c, []string{"--help"}, stdout, stderr)
			}
		}
		mainUsage(stdout)
		return 0
	case "--version":
		args[0] = "version"
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(stderr, "fromscratch: unknown command %q (see fromscratch --help)\n", args[0])
		return exitError
	}
	return runCommand(c, args[1:], stdout, stderr)
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func runCommand(c *command, args []string, out, errw io.Writer) int {
	fs := pflag.NewFlagSet("fromscratch "+c.name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	do := c.flags(fs)
	help := fs.BoolP("help", "h", false, "show this help")
	fs.SetInterspersed(true)
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(errw, "fromscratch %s: %s (see fromscratch %s --help)\n", c.name, oneLine(err), c.name)
		return exitError
	}
	if *help {
		commandUsage(out, c, fs)
		return 0
	}
	ctx, stop := cancelOnSignal()
	s := &session{out: out, errw: errw, ctx: ctx, args: append([]string{c.name}, args...)}
	err := do(s, fs.Args())
	stop()
	var r replayed
	if errors.As(err, &r) {
		return int(r)
	}
	if err != nil {
		if code, ok := interruptedExit(ctx, errw, c.name); ok {
			return code
		}
	}
	code := exitStatus(c, s.errw, err)
	if s.keep != nil && code != exitError {
		s.keep(code)
	}
	return code
}

// exitStatus prints err, if it has anything to say, and returns the exit
// status it means.
func exitStatus(c *command, errw io.Writer, err error) int {
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errMissing):
		if err != errMissing {
			fmt.Fprintf(errw, "fromscratch %s: %s\n", c.name, oneLine(err))
		}
		return exitMissing
	case errors.As(err, &ue):
		fmt.Fprintf(errw, "fromscratch %s: %s (see fromscratch %s --help)\n", c.name, oneLine(err), c.name)
	default:
		fmt.Fprintf(errw, "fromscratch %s: %s\n", c.name, flagText(oneLine(err)))
	}
	return exitError
}

// oneLine keeps an error to one line: wrapped multi-line messages from
// dependencies would otherwise break the one-line-error rule, and a word
// with a control character or bytes that are not UTF-8 (a hostile file
// name) is quoted.
func oneLine(err error) string {
	return quote.Words(err.Error())
}

func mainUsage(w io.Writer) {
	fmt.Fprint(w, `fromscratch: a minimal FROM scratch image of a dynamically linked program.

Usage:
  fromscratch COMMAND [flags] FILE...

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.short)
	}
	fmt.Fprint(w, `
Run 'fromscratch COMMAND --help' for a command's flags.
Exit status: 0 done, 1 done but libraries are missing, 2 error.
`)
}

func commandUsage(w io.Writer, c *command, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "Usage: fromscratch %s %s\n\n%s\n", c.name, c.args, strings.TrimSpace(c.long))
	fmt.Fprintf(w, "\nFlags:\n%s", fs.FlagUsagesWrapped(100))
}
