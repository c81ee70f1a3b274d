package image

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Tarball is the docker tarball file (what docker save writes and docker
// load reads; Docker 20.10 cannot load an OCI archive), with the image
// named tag ("name" or "name:tag", ":latest" by default) or, for an empty
// tag, unnamed: docker load then prints its ID. The file is written
// beside its final name and renamed: it is there whole or not at all.
func Tarball(file, tag string) Output {
	o := &tarballOutput{file: file}
	if tag != "" {
		// checkReference first: name's errors repeat a password.
		if o.err = checkReference(tag); o.err == nil {
			t, err := name.NewTag(tag)
			o.tag, o.err = &t, err
		}
	}
	return o
}

type tarballOutput struct {
	file string
	tag  *name.Tag
	err  error
}

func (o *tarballOutput) String() string { return "tarball " + o.file }

func (o *tarballOutput) check() error {
	if o.err != nil {
		return fmt.Errorf("%s: bad tag: %w", o, o.err)
	}
	return nil
}

func (o *tarballOutput) stage(ctx context.Context, img v1.Image) (*staged, error) {
	var ref name.Reference
	if o.tag != nil {
		ref = *o.tag
	} else {
		// A digest names no tag: the tarball's RepoTags stays empty.
		d, err := img.Digest()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o, err)
		}
		if ref, err = name.NewDigest("fromscratch@" + d.String()); err != nil {
			return nil, fmt.Errorf("%s: %w", o, err)
		}
	}
	return stageFile(ctx, o, o.file, func(w io.Writer) error {
		return tarball.Write(ref, withContext(ctx, img), w)
	})
}

// DigestFile is a file to hold the image digest, "sha256:…" without a
// newline, as docker build --iidfile writes it.
func DigestFile(file string) Output { return digestFile(file) }

type digestFile string

func (o digestFile) String() string { return "digest file " + string(o) }
func (o digestFile) check() error   { return nil }

func (o digestFile) stage(ctx context.Context, img v1.Image) (*staged, error) {
	d, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o, err)
	}
	return stageFile(ctx, o, string(o), func(w io.Writer) error {
		_, err := io.WriteString(w, d.String())
		return err
	})
}

// stageFile writes a temporary file beside file with write, stopping when
// ctx is done (the file is then removed); its commit
// renames it to file, with the mode os.Create gives (0666 less the umask),
// not os.CreateTemp's 0600.
func stageFile(ctx context.Context, what fmt.Stringer, file string, write func(io.Writer) error) (*staged, error) {
	if st, err := os.Stat(file); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", what)
	}
	if err := checkReplaceable(file); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	f, err := createTemp(filepath.Dir(file), filepath.Base(file))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	bw := bufio.NewWriterSize(ctxWriter{f, ctx}, 1<<20)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Chmod(0o666 &^ umask()) // as os.Create makes it
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return &staged{
		commit: func() error {
			if err := os.Rename(f.Name(), file); err != nil {
				os.Remove(f.Name())
				return fmt.Errorf("%s: %w", what, unwrapLinkError(err))
			}
			return nil
		},
		abort: func() { os.Remove(f.Name()) },
	}, nil
}

// umask is the process's file mode creation mask, read from
// /proc/self/status: umask(2) can only read it by setting it, which would
// race with files made meanwhile by other goroutines. 022 if unknown.
func umask() fs.FileMode {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0o022
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
				return fs.FileMode(m) & fs.ModePerm
			}
		}
	}
	return 0o022
}

// createTemp creates a temporary file for name in dir, with an error that
// names dir rather than the temporary file.
func createTemp(dir, name string) (*os.File, error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("cannot write in %s: %w", dir, unwrapPathError(err))
	}
	return f, nil
}

// unwrapPathError drops the (temporary) path from an *fs.PathError.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// unwrapLinkError drops the (temporary) paths from an *os.LinkError.
func unwrapLinkError(err error) error {
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
