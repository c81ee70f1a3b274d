package elfscan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// Every ELF file of this machine's library and program directories reads
// without an error: notes of every alignment (GNU property notes are
// padded to 8) are walked as the spec lays them out. A File gives the
// same notes, read with it (as a Resolver does for the rules) or later.
func TestDlopenNotesHost(t *testing.T) {
	root, err := NewRoot("/")
	if err != nil {
		t.Fatal(err)
	}
	n, withNotes := 0, 0
	for _, p := range hostFiles(t) {
		if _, err := Open(root, p); err != nil {
			continue // not ELF
		}
		n++
		notes, err := ReadDlopenNotes(root, p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
		if len(notes) > 0 {
			withNotes++
		}
		for _, want := range []symbolSet{wantImports | wantNotes, 0} {
			f, err := openFile(root, p, want)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if k := f.Kind; k != KindDynamic && k != KindShared {
				continue
			}
			if got, err := f.DlopenNotes(); err != nil || !reflect.DeepEqual(got, notes) {
				t.Errorf("%s: File.DlopenNotes %+v, %v; ReadDlopenNotes %+v", p, got, err, notes)
			}
		}
	}
	t.Logf("%d ELF files read, %d with dlopen notes", n, withNotes)
}

// Hostile notes: sizes past the segment, a bad JSON descriptor.
func TestDlopenNotesHostile(t *testing.T) {
	good := []byte("\x04\x00\x00\x00\x10\x00\x00\x00\x0a\x0c\x7c\x40FDO\x00[{\"soname\":[]}]\x00\x00")
	s := &scanner{name: "x"}
	s.bo = binary.LittleEndian
	if notes, err := s.dlopenNotes(good, 4); err != nil || len(notes) != 1 || notes[0].Priority != PriorityRecommended {
		t.Errorf("good note: %v %+v", err, notes)
	}
	for name, b := range map[string][]byte{
		"namesz past the end": []byte("\xff\x00\x00\x00\x10\x00\x00\x00\x0a\x0c\x7c\x40FDO\x00"),
		"descsz past the end": []byte("\x04\x00\x00\x00\xff\xff\xff\xff\x0a\x0c\x7c\x40FDO\x00"),
		"not JSON":            []byte("\x04\x00\x00\x00\x04\x00\x00\x00\x0a\x0c\x7c\x40FDO\x00{{{\x00"),
	} {
		if _, err := s.dlopenNotes(b, 4); err == nil || !strings.HasPrefix(err.Error(), "elfscan: x: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzScanDlopenNotes: arbitrary bytes give notes or a *FormatError
// naming the file, never a panic.
func FuzzScanDlopenNotes(f *testing.F) {
	if b, err := os.ReadFile("/usr/bin/true"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("\x7fELF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := ScanDlopenNotes(bytes.NewReader(b), int64(len(b)), "fuzz")
		var fe *FormatError
		if err != nil && (!errors.As(err, &fe) || errors.Is(err, errPanic) || fe.Path != "fuzz") {
			t.Fatalf("%v", err)
		}
	})
}
