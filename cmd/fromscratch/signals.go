package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// interrupted is the cause of the command's context when SIGINT, SIGTERM
// or SIGHUP (the terminal closed) arrives: the writers stop, remove their temporary output
// (.NAME.tmp-*) and return it, and the command exits 128+signal.
type interrupted struct{ sig syscall.Signal }

func (e interrupted) Error() string { return "interrupted by " + signalName(e.sig) }

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return s.String()
}

// exitCode is the shell's status for a process killed by the signal.
func (e interrupted) exitCode() int { return 128 + int(e.sig) }

// cancelOnSignal returns a context cancelled with an interrupted cause on
// the first SIGINT, SIGTERM or SIGHUP. After that first one the signals have their
// default action again: a second one kills at once, cleanup or not.
// stop releases the signals.
func cancelOnSignal() (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs)
			cancel(interrupted{s.(syscall.Signal)})
		case <-done:
		}
	}()
	return ctx, func() {
		close(done)
		signal.Stop(sigs)
		cancel(nil)
	}
}

// interruptedExit prints the line for a command stopped by a signal and
// returns its exit status, or ok false if ctx was not interrupted.
func interruptedExit(ctx context.Context, errw io.Writer, name string) (code int, ok bool) {
	cause, isSig := context.Cause(ctx).(interrupted)
	if !isSig {
		return 0, false
	}
	fmt.Fprintf(errw, "fromscratch %s: %v: stopped, temporary output removed, nothing written\n", name, cause)
	return cause.exitCode(), true
}

// untilInterrupted runs f and returns what it returns, or the interrupted
// cause as soon as ctx is cancelled: for the work that writes nothing and
// takes no context (collecting, compressing the layer into its unlinked
// spool), which may then be left to the exit.
func untilInterrupted[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, context.Cause(ctx)
	}
}
