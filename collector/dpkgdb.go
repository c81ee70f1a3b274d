package collector

import (
	"bytes"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/fromscratch/fromscratch/elfscan"
)

// dpkgDB is the root's dpkg database as the collector reads it: the
// status file indexed by package name, and the file lists of every
// package, each read once however many rounds of rules ask. A linear
// scan of the status file per question, and a read of every list per
// round, cost more than resolving the closures.
type dpkgDB struct {
	root   *elfscan.Root
	status map[string][]*dpkgPara // by package name, in the file's order
	// skeleton are the directories base-files makes: every root has
	// them, no package makes them for itself.
	skeleton map[string]bool

	listsRead  bool
	listIDs    []string          // every NAME[:ARCH] with a .list, in directory order
	lists      map[string][]byte // by NAME[:ARCH]; read by readLists or list
	listDirErr error             // the info directory could not be listed
	listErr    error             // a list could not be read

	// Parsed once: rulePackageData asks for the same lists per object.
	pathLists map[string][]string        // by NAME[:ARCH]: paths
	regular   map[string]map[string]bool // by NAME[:ARCH]: the paths its md5sums list
}

// A dpkgPara is one paragraph of the status file, with the fields the
// collector asks about parsed once.
type dpkgPara struct {
	text                  []byte // as written, ending with its newline
	name, arch, version   string
	source, sourceVersion string // of the Source field, else the package's own
	installed             bool   // not "not-installed" nor "config-files"
}

// readDpkgDB reads the root's dpkg status file; the lists are read when
// first asked for.
func readDpkgDB(root *elfscan.Root) (*dpkgDB, error) {
	status, err := root.ReadFile(dpkgStatus, 256<<20)
	if err != nil {
		return nil, err
	}
	db := &dpkgDB{root: root, status: map[string][]*dpkgPara{}, lists: map[string][]byte{}, skeleton: map[string]bool{"/": true}}
	for _, text := range dpkgParagraphs(status) {
		p := &dpkgPara{text: text}
		var src, st string
		eachField(text, func(k, v []byte) bool {
			switch {
			case fieldIs(k, "Package"):
				p.name = string(v)
			case fieldIs(k, "Architecture"):
				p.arch = string(v)
			case fieldIs(k, "Version"):
				p.version = string(v)
			case fieldIs(k, "Source"):
				src = string(v)
			case fieldIs(k, "Status"):
				st = string(v)
			}
			return true
		})
		words := strings.Fields(st)
		p.installed = len(words) == 0 || (words[len(words)-1] != "not-installed" && words[len(words)-1] != "config-files")
		p.source, p.sourceVersion = p.name, p.version
		if src != "" {
			name, ver, _ := strings.Cut(src, " ")
			p.source = name
			if ver = strings.Trim(strings.TrimSpace(ver), "()"); ver != "" {
				p.sourceVersion = ver
			}
		}
		db.status[p.name] = append(db.status[p.name], p)
	}
	if list, err := db.list("base-files"); err == nil {
		for _, l := range strings.Split(string(list), "\n") {
			db.skeleton[l] = true
		}
	}
	return db, nil
}

// dpkgDatabase is the collection's dpkgDB, read on first use.
func (c *collection) dpkgDatabase() (*dpkgDB, error) {
	if v, ok := c.cache["dpkg:db"]; ok {
		return v.(*dpkgDB), nil
	}
	db, err := readDpkgDB(c.root)
	if err != nil {
		return nil, err
	}
	c.cache["dpkg:db"] = db
	return db, nil
}

// find returns the paragraph of the installed package name (of arch,
// unless arch is empty: a package installed for one architecture has info
// files without it), or nil.
func (db *dpkgDB) find(name, arch string) *dpkgPara {
	for _, p := range db.status[name] {
		if (arch == "" || p.arch == arch) && p.installed {
			return p
		}
	}
	return nil
}

// listID is how the info files of the installed package name (of
// architecture arch, or any) are named: NAME, or NAME:ARCH for a package
// that more than one architecture may have.
func (db *dpkgDB) listID(name, arch string) string {
	id := name
	if arch != "" {
		id += ":" + arch
	}
	if _, err := db.list(id); err != nil {
		if para := db.find(name, ""); para != nil {
			id = name + ":" + para.arch
		}
	}
	return id
}

// paths returns the package's file list, one absolute path each; none
// for a package without a list.
func (db *dpkgDB) paths(id string) []string {
	if out, ok := db.pathLists[id]; ok {
		return out
	}
	data, err := db.list(id)
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "/") {
			out = append(out, l)
		}
	}
	if err == nil {
		if db.pathLists == nil {
			db.pathLists = map[string][]string{}
		}
		db.pathLists[id] = out
	}
	return out
}

// regularFiles returns the paths the package's md5sums lists: the
// regular files it installs (not its conffiles, symlinks or
// directories). None for a package without md5sums.
func (db *dpkgDB) regularFiles(id string) map[string]bool {
	if out, ok := db.regular[id]; ok {
		return out
	}
	out := map[string]bool{}
	data, _ := db.root.ReadFile(path.Join(dpkgInfo, id+".md5sums"), 64<<20)
	for _, line := range strings.Split(string(data), "\n") {
		if _, p, ok := strings.Cut(line, "  "); ok {
			out["/"+strings.TrimPrefix(p, "/")] = true
		}
	}
	if db.regular == nil {
		db.regular = map[string]map[string]bool{}
	}
	db.regular[id] = out
	return out
}

// sameSourceDepends returns the installed packages of the paragraph's
// fields (Depends and Pre-Depends unless given; every alternative) built
// from the same source package as it.
func (db *dpkgDB) sameSourceDepends(para *dpkgPara, fields ...string) []string {
	if len(fields) == 0 {
		fields = []string{"Pre-Depends", "Depends"}
	}
	if para == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, field := range fields {
		for _, alt := range strings.FieldsFunc(dpkgField(para.text, field), func(r rune) bool { return r == ',' || r == '|' }) {
			name, _, _ := strings.Cut(strings.TrimSpace(alt), " ")
			name, _, _ = strings.Cut(name, ":")
			if name == "" || seen[name] {
				continue
			}
			seen[name] = true
			if p := db.find(name, ""); p != nil && p.source == para.source {
				out = append(out, name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// list returns the file list of the package NAME[:ARCH], read once.
func (db *dpkgDB) list(id string) ([]byte, error) {
	if b, ok := db.lists[id]; ok {
		return b, nil
	}
	if db.listsRead && db.listDirErr == nil && db.listErr == nil {
		// readLists saw every list there is.
		return nil, &fs.PathError{Op: "open", Path: path.Join(dpkgInfo, id+".list"), Err: fs.ErrNotExist}
	}
	b, err := db.root.ReadFile(path.Join(dpkgInfo, id+".list"), 64<<20)
	if err != nil {
		return nil, err
	}
	db.lists[id] = b
	return b, nil
}

// readLists reads every package's file list, in parallel: finding the
// owners of files is a search of all of them. A list that cannot be read
// is an error; an info directory that cannot be listed is listDirErr.
func (db *dpkgDB) readLists() error {
	if db.listsRead {
		return db.listErr
	}
	db.listsRead = true
	infos, err := db.root.ReadDir(dpkgInfo)
	if err != nil {
		db.listDirErr = err
		return nil
	}
	for _, d := range infos {
		if id, ok := strings.CutSuffix(d.Name(), ".list"); ok && d.Type().IsRegular() {
			db.listIDs = append(db.listIDs, id)
		}
	}
	data := make([][]byte, len(db.listIDs))
	errs := make([]error, len(db.listIDs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(db.listIDs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(db.listIDs) {
					return
				}
				if b, ok := db.lists[db.listIDs[i]]; ok {
					data[i] = b // read by list before
					continue
				}
				data[i], errs[i] = db.root.ReadFile(path.Join(dpkgInfo, db.listIDs[i]+".list"), 64<<20)
			}
		})
	}
	wg.Wait()
	for i, id := range db.listIDs {
		if errs[i] != nil {
			db.listErr = errs[i]
			return db.listErr
		}
		db.lists[id] = data[i]
	}
	return nil
}

// eachField calls fn with the name and value (first line, trimmed) of
// each field of a paragraph, until fn returns false.
func eachField(para []byte, fn func(name, value []byte) bool) {
	for len(para) > 0 {
		line := para
		if i := bytes.IndexByte(para, '\n'); i >= 0 {
			line, para = para[:i], para[i+1:]
		} else {
			para = nil
		}
		if len(line) == 0 || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		if i := bytes.IndexByte(line, ':'); i >= 0 && !fn(line[:i], bytes.TrimSpace(line[i+1:])) {
			return
		}
	}
}

// dpkgField returns the value of a field of a paragraph (first line only).
func dpkgField(para []byte, name string) string {
	var out string
	eachField(para, func(k, v []byte) bool {
		if fieldIs(k, name) {
			out = string(v)
			return false
		}
		return true
	})
	return out
}

// fieldIs reports whether the field name k is name: field names are
// case-insensitive.
func fieldIs(k []byte, name string) bool { return bytes.EqualFold(k, []byte(name)) }
