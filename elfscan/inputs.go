package elfscan

import (
	"errors"
	"io/fs"
	"sort"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// An InputLog records what Roots read of the host: every path they
// looked up, listed or opened, with what lstat said of it the first time.
// A caller that keeps an answer computed from a Root (a cache of a run's
// output, as go test keeps a test's) asks Changed later: a file written,
// replaced, chmod'ed or made since changes its inode, size, times or
// existence, and a directory that gained or lost an entry its times.
type InputLog struct {
	mu     sync.Mutex
	inputs map[string]Input
}

// An Input is one host path as a Root first saw it.
type Input struct {
	Path string // the host path
	Stat Stat
}

// Stat is what lstat(2) says of a path: enough to tell that it changed.
// Err is the errno when lstat failed (ENOENT: the path did not exist).
type Stat struct {
	Err          unix.Errno
	Mode         uint32
	Dev, Ino     uint64
	Size         int64
	Mtime, Ctime int64 // nanoseconds since the epoch
}

// NewInputLog returns an empty InputLog.
func NewInputLog() *InputLog { return &InputLog{inputs: map[string]Input{}} }

// WithInputLog makes the Root record in log what it reads of the host.
func WithInputLog(log *InputLog) RootOption { return func(r *Root) { r.inputs = log } }

// A RootOption configures a Root (NewRoot).
type RootOption func(*Root)

// Inputs returns what was recorded, sorted by path.
func (l *InputLog) Inputs() []Input {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Input, 0, len(l.inputs))
	for _, in := range l.inputs {
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Newest returns the latest modification or change time among the
// inputs: a file changed within the timestamp granularity of its
// filesystem before the log was taken may change again unseen.
func (l *InputLog) Newest() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	var n int64
	for _, in := range l.inputs {
		n = max(n, in.Stat.Mtime, in.Stat.Ctime)
	}
	return time.Unix(0, n)
}

// add records p with st unless p is recorded already: the first look is
// kept, taken before anything was read of p, so that a change between it
// and the reading shows as a change later.
func (l *InputLog) add(p string, st Stat) {
	if l == nil {
		return
	}
	l.mu.Lock()
	if _, ok := l.inputs[p]; !ok {
		l.inputs[p] = Input{p, st}
	}
	l.mu.Unlock()
}

// addLstat records p, lstat'ing it only if it is not recorded yet.
func (l *InputLog) addLstat(p string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	_, ok := l.inputs[p]
	l.mu.Unlock()
	if !ok {
		l.add(p, Lstat(p))
	}
}

// Lstat returns what lstat(2) says of the host path p now.
func Lstat(p string) Stat {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return statOf(nil, err)
	}
	return statOf(&st, nil)
}

// statOf converts a stat result (or its error) to a Stat.
func statOf(st *unix.Stat_t, err error) Stat {
	if err != nil {
		var errno unix.Errno
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		if !errors.As(err, &errno) {
			errno = unix.EIO
		}
		return Stat{Err: errno}
	}
	return Stat{
		Mode:  st.Mode,
		Dev:   uint64(st.Dev),
		Ino:   st.Ino,
		Size:  st.Size,
		Mtime: st.Mtim.Nano(),
		Ctime: st.Ctim.Nano(),
	}
}

// Changed reports whether the input's path is not as it was: lstat
// gives another answer now.
func (in Input) Changed() bool { return Lstat(in.Path) != in.Stat }
