package elfscan

import (
	"fmt"
	"io"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// A symbolSet names what a scan reads beyond what the loader needs.
type symbolSet uint8

const (
	wantImports symbolSet = 1 << iota // the undefined dynamic symbols
	wantExports                       // the defined dynamic symbols
	wantNotes                         // the dlopen notes
)

// symbols are a File's dynamic symbols and dlopen notes, each read when
// first asked for unless the scan read them already: the loader's closure
// needs none, and of the rules only NSS asks for a library's exports. A
// File and its copies share them.
type symbols struct {
	mu sync.Mutex
	// open gives the file to read again, and a function to call when
	// done with it; nil when there is no way back to the file.
	open             func() (io.ReaderAt, int64, func(), error)
	imports, exports []string
	notes            []DlopenNote
	notesErr         error
	have             symbolSet
}

// set records the list of w.
func (s *symbols) set(w symbolSet, names []string) {
	if w == wantImports {
		s.imports = names
	} else {
		s.exports = names
	}
	s.have |= w
}

// reopen opens p inside root again, for the symbols a scan left unread.
func reopen(root *Root, p string) func() (io.ReaderAt, int64, func(), error) {
	return func() (io.ReaderAt, int64, func(), error) {
		fd, size, err := root.openFD(p)
		if err != nil {
			return nil, 0, nil, err
		}
		return fdReader(fd), size, func() { unix.Close(fd) }, nil
	}
}

// Imports returns the undefined dynamic symbols (names without version),
// each once, in the order of the dynamic string table: the evidence for
// rules such as "imports iconv_open". They are read when first asked for
// unless the scan read them (Open, Scan, and a Resolver unless
// WithImports(false)). The slice is the File's: do not modify it.
func (f *File) Imports() ([]string, error) { return f.symbolList(wantImports) }

// Exports returns the defined dynamic symbols (names without version),
// each once, in the order of the dynamic string table: what a library
// offers to the objects loaded with it (glibc's built-in NSS services are
// its _nss_files_* functions). They are read when first asked for; the
// slice is the File's.
func (f *File) Exports() ([]string, error) { return f.symbolList(wantExports) }

// ImportsSymbol reports whether the file imports the dynamic symbol name;
// false if its imports cannot be read.
func (f *File) ImportsSymbol(name string) bool {
	imports, _ := f.Imports()
	return slices.Contains(imports, name)
}

func (f *File) symbolList(w symbolSet) ([]string, error) {
	s := f.syms
	if s == nil {
		return nil, nil // a File made by hand, not by a scan
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.have&w == 0 {
		err := s.readAgain(f.Path, "dynamic symbols", func(r io.ReaderAt, size int64) error {
			g, err := scan(r, size, f.Path, w)
			if err == nil {
				s.set(w, g.syms.list(w))
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return s.list(w), nil
}

// readAgain opens the file again for read; what is what it reads, for
// errors.
func (s *symbols) readAgain(path, what string, read func(r io.ReaderAt, size int64) error) error {
	if s.open == nil {
		return fmt.Errorf("%s%s: its %s cannot be read again", prefix, path, what)
	}
	r, size, done, err := s.open()
	if err != nil {
		return fmt.Errorf("%sreading the %s of %s: %w", prefix, what, path, err)
	}
	defer done()
	return read(r, size)
}

// list is the list of w.
func (s *symbols) list(w symbolSet) []string {
	if w == wantImports {
		return s.imports
	}
	return s.exports
}

// DlopenNotes returns the file's dlopen notes, as ReadDlopenNotes does.
// A Resolver reading imports reads them with the file (they are in its
// first bytes); otherwise they are read when first asked for.
func (f *File) DlopenNotes() ([]DlopenNote, error) {
	s := f.syms
	if s == nil {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.have&wantNotes == 0 {
		err := s.readAgain(f.Path, "dlopen notes", func(r io.ReaderAt, size int64) error {
			s.notes, s.notesErr = ScanDlopenNotes(r, size, f.Path)
			s.have |= wantNotes
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return s.notes, s.notesErr
}
