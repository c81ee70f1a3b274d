//go:build linux && (amd64 || arm64)

package trace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// stdio connects the program's standard files to Options as os/exec does.
type stdio struct {
	child   [3]*os.File // the program's ends
	own     []*os.File  // files to close when Run returns
	readers []*os.File  // the tracer's ends of the output pipes
	copiers sync.WaitGroup
	errMu   sync.Mutex
	err     error
}

func newStdio(opts *Options) (*stdio, error) {
	s := &stdio{}
	var err error
	if s.child[0], err = s.input(opts.Stdin); err != nil {
		s.close()
		return nil, err
	}
	if s.child[1], err = s.output(opts.Stdout); err != nil {
		s.close()
		return nil, err
	}
	if sameWriter(opts.Stdout, opts.Stderr) {
		s.child[2] = s.child[1]
	} else if s.child[2], err = s.output(opts.Stderr); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// sameWriter reports whether stdout and stderr are one writer, which
// then gets one pipe, as in os/exec, so that their order is kept.
func sameWriter(a, b io.Writer) (same bool) {
	defer func() { recover() }() // uncomparable dynamic types
	return a != nil && a == b
}

func (s *stdio) input(r io.Reader) (*os.File, error) {
	switch r := r.(type) {
	case nil:
		f, err := os.Open(os.DevNull)
		s.own = append(s.own, f)
		return f, err
	case *os.File:
		return r, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	s.own = append(s.own, pr)
	// Not waited for: Run does not wait for Stdin to be drained, and
	// the copy ends with an error on the closed pipe once the program
	// is gone.
	go func() {
		io.Copy(pw, r)
		pw.Close()
	}()
	return pr, nil
}

func (s *stdio) output(w io.Writer) (*os.File, error) {
	switch w := w.(type) {
	case nil:
		f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		s.own = append(s.own, f)
		return f, err
	case *os.File:
		return w, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	s.own = append(s.own, pw)
	s.readers = append(s.readers, pr)
	s.copiers.Go(func() {
		_, err := io.Copy(w, pr)
		if err != nil && !errors.Is(err, os.ErrClosed) {
			s.errMu.Lock()
			if s.err == nil {
				s.err = fmt.Errorf("copying output: %w", err)
			}
			s.errMu.Unlock()
		}
	})
	return pw, nil
}

// close closes the tracer's copies of the program's ends of the pipes,
// so that the copies see EOF once the program's are closed too.
func (s *stdio) close() {
	for _, f := range s.own {
		f.Close()
	}
	s.own = nil
}

// wait waits until the output has been copied: until every process that
// has the pipes open has closed them. All the traced processes have, but
// a process outside the run may have been passed one (over a socket, say):
// once ctx is done, it gets a second more, then the copy is cut short.
func (s *stdio) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.copiers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		select {
		case <-done:
		case <-time.After(time.Second):
		}
	}
	for _, r := range s.readers {
		r.Close()
	}
	<-done
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}
