package collector

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/fromscratch/fromscratch/elfscan"
)

// EntryKind is the type of one entry of the root filesystem.
type EntryKind int

const (
	Dir      EntryKind = iota // a directory
	File                      // a regular file: from the Root (Source) or generated (Data)
	Symlink                   // a symbolic link to Target
	Hardlink                  // a hard link to the File entry Target
)

// String is the kind's name: "dir", "file", "symlink", "hardlink".
func (k EntryKind) String() string {
	return [...]string{"dir", "file", "symlink", "hardlink"}[k]
}

// MarshalText makes an EntryKind read as its name in JSON.
func (k EntryKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// An Entry is one path of the root filesystem to build.
type Entry struct {
	Path string    `json:"path"` // absolute, clean path in the image
	Kind EntryKind `json:"kind"`
	// Uid and Gid are the owner: the source's in the root for what is
	// copied from it (a data directory owned by its service user), 0:0
	// for what the collector makes.
	Uid int `json:"uid,omitempty"`
	Gid int `json:"gid,omitempty"`
	// Source is, for a File, the path inside the source Root to read it
	// from (its real path: no symlinks). Empty for generated files.
	Source string      `json:"source,omitempty"`
	Data   []byte      `json:"-"` // content of a generated File (passwd, group…)
	Mode   fs.FileMode `json:"mode"`
	Size   int64       `json:"size,omitempty"`
	// ModTime is, for a File read from the Root (and a Hardlink to one),
	// its source's modification time; zero for generated files,
	// directories and symlinks. Writers use it through ClampedTime.
	ModTime time.Time `json:"mtime,omitzero"`
	// Target is a Symlink's content as written, or for a Hardlink the
	// image path of the file it links to.
	Target  string   `json:"target,omitempty"`
	Reasons []Reason `json:"reasons"` // why it is there; each prints as "needed by /usr/bin/curl (ld.so.cache)"
}

// UnixMode is the entry's permission bits with setuid, setgid and sticky
// as a stat(2) mode has them (04000, 02000, 01000): what a tar header
// or ls -l shows.
func (e *Entry) UnixMode() uint32 {
	mode := uint32(e.Mode.Perm())
	if e.Mode&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if e.Mode&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if e.Mode&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}

// ClampedTime is the modification time every writer gives the entry, the
// rule of `tar --clamp-mtime --mtime=@epoch`: its ModTime if that is
// earlier than epoch, else epoch; epoch when it has no ModTime (generated
// files, directories, symlinks). It is whole seconds, as a tar header
// holds it, so that a directory tree and a layer of one plan agree. With
// epoch 0 every time is 0; with a later epoch files keep their real
// times, which programs that compare them (Python's .pyc) rely on.
func (e *Entry) ClampedTime(epoch time.Time) time.Time {
	t := epoch
	if !e.ModTime.IsZero() && e.ModTime.Before(epoch) {
		t = e.ModTime
	}
	return time.Unix(t.Unix(), 0).UTC()
}

// Platform is the os/architecture/variant of the programs in a plan.
type Platform struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant,omitempty"`
}

// String is "os/arch" or "os/arch/variant", as docker --platform reads it.
func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// A Plan is the whole root filesystem to build, sorted by path, each path
// once, with every parent directory present. Writers read nothing else.
type Plan struct {
	Root     *elfscan.Root  `json:"-"` // where Sources are read from
	Graph    *elfscan.Graph `json:"-"` // the loader closure it was built from
	Entries  []Entry        `json:"entries"`
	Programs []string       `json:"programs"` // the roots that are programs, in the order given: the default entrypoint is the first
	// Executables are the ELF files that run when the programs start:
	// each ELF program, and the interpreters of "#!" programs. Their
	// closures in Graph are the loader's answer for the programs.
	Executables []string  `json:"executables,omitempty"`
	Env         []string  `json:"env,omitempty"`      // environment the image should set (SSL_CERT_FILE…)
	Platform    Platform  `json:"platform"`           // from the programs' ELF headers
	Warnings    []Warning `json:"warnings,omitempty"` // things the user should know (dlopen…), each once
	// Excluded are the paths that WithExclude kept out, each with the
	// pattern that matched: "/usr/lib/x86_64-linux-gnu/libssl.so.3 (*/libssl*)".
	Excluded []string `json:"excluded,omitempty"`
}

// Open returns the content of a File entry.
func (p *Plan) Open(e *Entry) (io.ReadCloser, error) {
	if e.Kind != File {
		return nil, fmt.Errorf("%s: not a file", e.Path)
	}
	if e.Source == "" {
		return io.NopCloser(bytes.NewReader(e.Data)), nil
	}
	return p.Root.Open(e.Source)
}

// Lookup returns the entry at path, or nil.
func (p *Plan) Lookup(path string) *Entry {
	i := sort.Search(len(p.Entries), func(i int) bool { return p.Entries[i].Path >= path })
	if i < len(p.Entries) && p.Entries[i].Path == path {
		return &p.Entries[i]
	}
	return nil
}

// Check verifies what every writer relies on: clean absolute paths in
// strictly increasing order, each once, every parent a Dir entry of the
// plan (so that no entry is written through a symlink), symlinks with a
// target, hard links naming a File of the plan sorted before them, sources
// only with a Root.
func (p *Plan) Check() error {
	if p == nil {
		return errors.New("plan: nil")
	}
	dirs := map[string]bool{"/": true}
	for i := range p.Entries {
		e := &p.Entries[i]
		bad := func(format string, args ...any) error {
			return fmt.Errorf("plan: %s: %s", e.Path, fmt.Sprintf(format, args...))
		}
		switch {
		case !strings.HasPrefix(e.Path, "/") || path.Clean(e.Path) != e.Path:
			return bad("not a clean absolute path")
		case i > 0 && e.Path <= p.Entries[i-1].Path:
			return bad("not sorted after %s", p.Entries[i-1].Path)
		case e.Path == "/" && e.Kind != Dir:
			return bad("the root must be a directory, not a %s", e.Kind)
		case e.Path != "/" && !dirs[path.Dir(e.Path)]:
			return bad("parent directory %s is not a directory of the plan", path.Dir(e.Path))
		}
		switch e.Kind {
		case Dir:
			dirs[e.Path] = true
		case File:
			if e.Source != "" && p.Root == nil {
				return bad("source %s but the plan has no Root", e.Source)
			}
		case Symlink:
			if e.Target == "" {
				return bad("symlink without a target")
			}
		case Hardlink:
			// The target must come first, so that a streaming writer (a
			// tar) has already written the file a link points at.
			if t := p.Lookup(e.Target); t == nil || t.Kind != File || e.Target >= e.Path {
				return bad("hard link target %s is not a file of the plan sorted before it", e.Target)
			}
		default:
			return bad("unknown kind %d", int(e.Kind))
		}
	}
	return nil
}
