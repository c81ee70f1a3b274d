package runcache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fromscratch/fromscratch/elfscan"
)

// Granularity is how recent an input may be for a run to be kept: at
// least the tick of a filesystem's timestamps (a jiffy on Linux, two
// seconds on FAT), as go test's cache waits.
const Granularity = 2 * time.Second

// unused is how long an entry stays without being used.
const unused = 5 * 24 * time.Hour

// A Cache is a directory of entries.
type Cache struct{ dir string }

// Open returns the cache in dir, made (0700) if it does not exist.
func Open(dir string) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Cache{dir: dir}, nil
}

// Dir is the directory that holds the entries: $FROMSCRATCH_CACHE, or
// fromscratch in the user's cache directory ($XDG_CACHE_HOME, else
// ~/.cache). It is "" where there is none, or FROMSCRATCH_CACHE is "off".
func Dir() string {
	if d := os.Getenv("FROMSCRATCH_CACHE"); d != "" {
		if d == "off" {
			return ""
		}
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "fromscratch")
}

// A Key names an entry.
type Key [sha256.Size]byte

// NewKey is the key of parts, each taken whole (a NUL after each, so that
// no two lists of parts share a key).
func NewKey(parts ...string) Key {
	h := sha256.New()
	io.WriteString(h, "fromscratch runcache 1\x00")
	for _, p := range parts {
		io.WriteString(h, p)
		h.Write([]byte{0})
	}
	var k Key
	h.Sum(k[:0])
	return k
}

// An Output is what a run printed, in order, and how it exited.
type Output struct {
	Chunks []Chunk
	Exit   int
}

// A Chunk is one write to standard output (Stream 1) or error (2).
type Chunk struct {
	Stream int
	Data   []byte
}

// Replay writes the output again, in its order, to stdout and stderr.
func (o *Output) Replay(stdout, stderr io.Writer) error {
	for _, c := range o.Chunks {
		w := stdout
		if c.Stream == 2 {
			w = stderr
		}
		if _, err := w.Write(c.Data); err != nil {
			return err
		}
	}
	return nil
}

// A Recorder passes writes to two writers and keeps them, in order.
type Recorder struct {
	mu     sync.Mutex
	chunks []Chunk
}

// Writers returns stdout and stderr wrapped: what they are given is
// written through and recorded.
func (r *Recorder) Writers(stdout, stderr io.Writer) (io.Writer, io.Writer) {
	return &recording{r, 1, stdout}, &recording{r, 2, stderr}
}

// Output is what was written, with exit.
func (r *Recorder) Output(exit int) *Output {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &Output{Chunks: r.chunks, Exit: exit}
}

type recording struct {
	r      *Recorder
	stream int
	w      io.Writer
}

func (w *recording) Write(b []byte) (int, error) {
	n, err := w.w.Write(b)
	w.r.mu.Lock()
	w.r.chunks = append(w.r.chunks, Chunk{w.stream, append([]byte(nil), b[:n]...)})
	w.r.mu.Unlock()
	return n, err
}

func (c *Cache) path(k Key) string {
	name := hex.EncodeToString(k[:])
	return filepath.Join(c.dir, name[:2], name)
}

// Get returns the output kept under k, if there is one and none of its
// inputs has changed.
func (c *Cache) Get(k Key) (*Output, bool) {
	data, err := os.ReadFile(c.path(k))
	if err != nil {
		return nil, false
	}
	e, err := decode(data)
	if err != nil || e.key != k || changed(e.inputs) {
		return nil, false
	}
	// Used: kept another while (go's cache marks use the same way).
	if st, err := os.Stat(c.path(k)); err == nil && time.Since(st.ModTime()) > time.Hour {
		now := time.Now()
		os.Chtimes(c.path(k), now, now)
	}
	return e.out, true
}

// changed reports whether any input lstat's differently now, asking on
// every core: a run of many programs reads thousands of paths.
func changed(inputs []elfscan.Input) bool {
	var next atomic.Int64
	var diff atomic.Bool
	var wg sync.WaitGroup
	const batch = 64
	for range min(runtime.GOMAXPROCS(0), len(inputs)/batch+1) {
		wg.Go(func() {
			for !diff.Load() {
				lo := int(next.Add(batch)) - batch
				if lo >= len(inputs) {
					return
				}
				for _, in := range inputs[lo:min(lo+batch, len(inputs))] {
					if in.Changed() {
						diff.Store(true)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	return diff.Load()
}

// ErrTooNew is returned by Put for a run that read an input changed
// within Granularity of the run's end.
var ErrTooNew = errors.New("runcache: an input changed too recently to be trusted")

// Put keeps out under k with the inputs of log, unless an input is too
// new. The entry is written whole or not at all (a rename).
func (c *Cache) Put(k Key, out *Output, log *elfscan.InputLog) error {
	if time.Since(log.Newest()) < Granularity {
		return ErrTooNew
	}
	p := c.path(k)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(encode(&entry{key: k, inputs: log.Inputs(), out: out}))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	c.trim()
	return nil
}

// trim removes the entries not used for a while, once a day.
func (c *Cache) trim() {
	mark := filepath.Join(c.dir, "trimmed")
	if st, err := os.Stat(mark); err == nil && time.Since(st.ModTime()) < 24*time.Hour {
		return
	}
	os.WriteFile(mark, nil, 0o600)
	now := time.Now()
	os.Chtimes(mark, now, now)
	subs, _ := os.ReadDir(c.dir)
	for _, s := range subs {
		if !s.IsDir() {
			continue
		}
		entries, _ := os.ReadDir(filepath.Join(c.dir, s.Name()))
		for _, e := range entries {
			if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > unused {
				os.Remove(filepath.Join(c.dir, s.Name(), e.Name()))
			}
		}
	}
}
