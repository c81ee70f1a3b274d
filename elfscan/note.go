package elfscan

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"

	"golang.org/x/sys/unix"
)

// The ELF dlopen metadata of the UAPI group's specification
// (https://uapi-group.org/specifications/specs/elf_dlopen_metadata/): a
// note of owner "FDO" and type 0x407c0c0a in a section .note.dlopen,
// allocated and so in a PT_NOTE segment, whose descriptor is a
// NUL-terminated JSON array of DlopenNote objects.
const (
	DlopenNoteOwner = "FDO"
	DlopenNoteType  = 0x407c0c0a
)

// Priorities of a DlopenNote, from the most to the least needed.
const (
	PriorityRequired    = "required"
	PriorityRecommended = "recommended"
	PrioritySuggested   = "suggested"
)

// A DlopenNote is one library a program or library declares it may
// dlopen: Soname lists alternatives, the preferred first.
type DlopenNote struct {
	Soname      []string `json:"soname"`
	Feature     string   `json:"feature,omitempty"`
	Description string   `json:"description,omitempty"`
	// Priority is required, recommended or suggested; the spec makes a
	// missing one recommended, and ReadDlopenNotes does the same.
	Priority string `json:"priority,omitempty"`
}

// Limits on the notes of one file: real ones are a few KiB (systemd's
// libsystemd-shared lists some thirty libraries).
const (
	maxNotes     = 1 << 20 // bytes of PT_NOTE segments read
	maxNoteJSON  = 1 << 16 // one note's descriptor
	maxNoteCount = 4096    // DlopenNote objects
)

// ReadDlopenNotes returns the dlopen notes of the ELF file p inside root,
// in file order, read as the rest of elfscan reads ELF: through the
// program headers (PT_NOTE), bounded by the file's size and the limits
// above. A file without notes gives none and no error; a note of the
// right owner and type that is not a JSON array of objects is an error
// naming the file.
func ReadDlopenNotes(root *Root, p string) ([]DlopenNote, error) {
	fd, size, err := root.openFD(p)
	if err != nil {
		return nil, prefixed(err)
	}
	defer unix.Close(fd)
	return ScanDlopenNotes(fdReader(fd), size, p)
}

// ScanDlopenNotes is ReadDlopenNotes on a file of the given size read
// from r; name is used in errors.
func ScanDlopenNotes(r io.ReaderAt, size int64, name string) (notes []DlopenNote, err error) {
	defer func() {
		if x := recover(); x != nil {
			notes, err = nil, &FormatError{Path: name, Err: fmt.Errorf("%w (%v)", errPanic, x)}
		}
	}()
	s, err := newScanner(r, size, name, 0)
	if err != nil {
		return nil, err
	}
	defer s.release()
	if err := s.readHeader(); err != nil {
		return nil, err
	}
	if err := s.readProgs(); err != nil {
		return nil, err
	}
	return s.dlopenNotesOfProgs()
}

// dlopenNotesOfProgs reads the dlopen notes of the PT_NOTE segments.
func (s *scanner) dlopenNotesOfProgs() (notes []DlopenNote, err error) {
	budget := uint64(maxNotes)
	for i, ph := range s.progs {
		if ph.typ != elf.PT_NOTE || ph.filesz == 0 {
			continue
		}
		if ph.filesz > budget {
			return nil, s.errorf("PT_NOTE segments total over %d bytes", maxNotes)
		}
		budget -= ph.filesz
		align, err := s.progAlign(i)
		if err != nil {
			return nil, err
		}
		b, err := s.readAt(ph.off, ph.filesz, maxNotes, "PT_NOTE")
		if err != nil {
			return nil, err
		}
		found, err := s.dlopenNotes(b, align)
		if err != nil {
			return nil, err
		}
		notes = append(notes, found...)
		if len(notes) > maxNoteCount {
			return nil, s.errorf("more than %d dlopen notes", maxNoteCount)
		}
	}
	return notes, nil
}

// progAlign reads p_align of program header i, which scanner.readProgs
// does not keep: notes in a segment aligned to 8 are padded to 8 (GNU
// property notes), all others to 4.
func (s *scanner) progAlign(i int) (uint64, error) {
	entsize, off := uint64(32), uint64(28)
	if s.h.class == elf.ELFCLASS64 {
		entsize, off = 56, 48
	}
	b, err := s.readAt(s.h.phoff+uint64(i)*entsize+off, s.h.wordSize, s.h.wordSize, "p_align")
	if err != nil {
		return 0, err
	}
	if s.h.class == elf.ELFCLASS64 {
		return s.bo.Uint64(b), nil
	}
	return uint64(s.bo.Uint32(b)), nil
}

// dlopenNotes walks the notes of one PT_NOTE segment (namesz, descsz,
// type, the name and the descriptor each padded to align) and decodes
// those of owner FDO and the dlopen type. The bytes are the scanner's:
// nothing of them outlives the call but decoded copies.
func (s *scanner) dlopenNotes(b []byte, align uint64) ([]DlopenNote, error) {
	if align != 8 {
		align = 4
	}
	// The name follows the 12-byte header, the descriptor starts at the
	// next multiple of align (from the segment's start, which is
	// aligned), and so does the next note.
	pad := func(n uint64) uint64 { return (n + align - 1) &^ (align - 1) }
	var out []DlopenNote
	end := uint64(len(b))
	for off := uint64(0); end-off >= 12; {
		namesz, descsz := uint64(s.bo.Uint32(b[off:])), uint64(s.bo.Uint32(b[off+4:]))
		typ := s.bo.Uint32(b[off+8:])
		nameOff := off + 12
		if namesz > end-nameOff || pad(nameOff+namesz) > end && descsz > 0 {
			return nil, s.errorf("PT_NOTE: note at offset %d runs past its segment", off)
		}
		descOff := min(pad(nameOff+namesz), end)
		if descsz > end-descOff {
			return nil, s.errorf("PT_NOTE: note at offset %d runs past its segment", off)
		}
		name, desc := b[nameOff:nameOff+namesz], b[descOff:descOff+descsz]
		off = pad(descOff + descsz)
		if off > end {
			off = end
		}
		if typ != DlopenNoteType || string(bytes.TrimRight(name, "\x00")) != DlopenNoteOwner {
			continue
		}
		if descsz > maxNoteJSON {
			return nil, s.errorf(".note.dlopen: a note of %d bytes, over the limit of %d", descsz, maxNoteJSON)
		}
		if i := bytes.IndexByte(desc, 0); i >= 0 {
			desc = desc[:i]
		}
		var notes []DlopenNote
		if err := json.Unmarshal(desc, &notes); err != nil {
			return nil, s.errorf(".note.dlopen: not a JSON array of objects: %v", err)
		}
		for i := range notes {
			if notes[i].Priority == "" {
				notes[i].Priority = PriorityRecommended
			}
		}
		out = append(out, notes...)
	}
	return out, nil
}
