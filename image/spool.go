package image

import (
	"bytes"
	"io"
	"os"
)

// spoolMemory is how many bytes a spool keeps in memory before it moves
// them to a temporary file.
const spoolMemory = 32 << 20

// A spool holds bytes written once and read any number of times, even at
// the same time: in memory while small, then in a temporary file that is
// unlinked as soon as it is created, so nothing is left on disk whatever
// happens to the process; the file closes when the spool is collected.
type spool struct {
	// limit is spoolMemory, or less in tests; 0 is spoolMemory.
	limit int
	mem   []byte
	file  *os.File
	size  int64
}

func (s *spool) memoryLimit() int {
	if s.limit > 0 {
		return s.limit
	}
	return spoolMemory
}

// Write appends p, in memory while the spool holds at most memoryLimit
// bytes, then to its temporary file.
func (s *spool) Write(p []byte) (int, error) {
	if s.file == nil && len(s.mem)+len(p) > s.memoryLimit() {
		f, err := os.CreateTemp("", "fromscratch-layer-*")
		if err != nil {
			return 0, err
		}
		os.Remove(f.Name())
		if _, err := f.Write(s.mem); err != nil {
			f.Close()
			return 0, err
		}
		s.file, s.mem = f, nil
	}
	s.size += int64(len(p))
	if s.file != nil {
		return s.file.Write(p)
	}
	s.mem = append(s.mem, p...)
	return len(p), nil
}

// reader reads the spool from its start.
func (s *spool) reader() io.ReadCloser {
	if s.file != nil {
		return io.NopCloser(io.NewSectionReader(s.file, 0, s.size))
	}
	return io.NopCloser(bytes.NewReader(s.mem))
}

// discard frees the spool at once.
func (s *spool) discard() {
	if s.file != nil {
		s.file.Close()
	}
	*s = spool{}
}
