package elfscan

// Step says how the loader found an object: the reason printed for it.
type Step int

const (
	StepRoot        Step = iota // named by the user
	StepInterp                  // PT_INTERP of the root
	StepPath                    // a DT_NEEDED name with a slash, opened as a path
	StepRPath                   // DT_RPATH of the requester or of its loader chain (musl: RPATH of the chain)
	StepLibraryPath             // LD_LIBRARY_PATH (the resolver's option)
	StepRunPath                 // DT_RUNPATH of the requester (musl: RUNPATH of the requester or its loader chain)
	StepCache                   // /etc/ld.so.cache (or ld.so.conf, WithLdSoConf)
	StepDefault                 // the default directories (or musl's path file)
	StepLoader                  // musl: the name is musl's libc, i.e. the loader itself (for a library root, which has no PT_INTERP; programs reuse their interpreter)
)

var stepNames = [...]string{"root", "interpreter", "path", "rpath", "library-path", "runpath", "ld.so.cache", "default", "loader"}

// String is the step's name as deps prints it: "ld.so.cache", "runpath"…
func (s Step) String() string {
	if s == StepHostLoader {
		return "host-loader"
	}
	if int(s) < len(stepNames) {
		return stepNames[s]
	}
	return "unknown"
}

// MarshalText makes a Step read as its name in JSON.
func (s Step) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// An Object is one file the loader maps, with the reason it was mapped.
type Object struct {
	// Path is the path the loader opened: the search directory joined with
	// the name, or the name itself when it has a slash (relative ones
	// joined to the working directory, see WithWorkDir), or PT_INTERP.
	// This is where the file must be in an image. It is clean ("//", "."
	// and "dir/.." removed) unless cleaning would change the file it
	// leads to (a ".." after a symlinked directory): then it is the
	// loader's string as it built it.
	Path string `json:"path"`
	// RealPath is Path with every symlink resolved; Links are the links
	// followed from Path to RealPath, in order.
	RealPath string `json:"realpath"`
	Links    []Link `json:"links,omitempty"`
	File     *File  `json:"file"`

	Name   string  `json:"name"`             // the name it was first asked for (a DT_NEEDED entry with tokens expanded, PT_INTERP, or the root)
	Parent *Object `json:"-"`                // the object whose request first loaded it (nil for a root)
	Step   Step    `json:"step"`             // how it was found
	Dir    string  `json:"dir,omitempty"`    // the search directory, for search steps
	HWCaps string  `json:"hwcaps,omitempty"` // the glibc-hwcaps subdirectory it was found in, if any
	// Dlopened is set for an object a dlopen call loaded (ResolveDlopen):
	// Parent is then the caller, not an object that names it in DT_NEEDED.
	Dlopened bool `json:"dlopened,omitempty"`

	// Deps are the objects this object's DT_NEEDED names resolved to, in
	// the order of File.Needed; nil where a name was not found. A
	// dependency that another object loaded first is here too, so Deps
	// give the whole "who needs whom" graph while Parent gives the tree.
	Deps []*Object `json:"-"`
}

// Chain returns the object and its loaders up to the root: the "needed by"
// path printed for missing libraries.
func (o *Object) Chain() []*Object {
	var c []*Object
	for x := o; x != nil; x = x.Parent {
		c = append(c, x)
	}
	return c
}

// A Missing is a DT_NEEDED name (or the interpreter) that the loader
// could not load.
type Missing struct {
	Name string  `json:"name"`
	By   *Object `json:"-"` // the requester; By.Chain() leads to the root
	// Reason is empty when no search step found the name. Otherwise the
	// loader found a file it cannot load and stops there, as glibc does for
	// a file that is not ELF or has the wrong byte order: Path is that
	// file and Reason the loader's complaint.
	Reason string `json:"reason,omitempty"`
	Path   string `json:"path,omitempty"`
}

// A Closure is everything the loader maps to start one root.
type Closure struct {
	Flavor Flavor  `json:"flavor"` // the loader whose rules made it
	Root   *Object `json:"root"`
	Interp *Object `json:"interp,omitempty"` // nil for static files and libraries
	// Objects are the root, then the interpreter, then every library in
	// the loader's breadth-first load order, each once.
	Objects []*Object `json:"objects"`
	Missing []Missing `json:"missing,omitempty"`
	// DefaultDirs are the directories the loader searches last, without
	// any cache (glibc's system directories, musl's path): a library
	// found through ld.so.cache elsewhere needs the cache at run time.
	DefaultDirs []string `json:"default_dirs,omitempty"`
	// HWCapsVariants lists libraries for which the root holds glibc-hwcaps
	// variants above the selected level (path → levels), for the report.
	HWCapsVariants map[string][]string `json:"hwcaps_variants,omitempty"`
}

// A Graph is the result of resolving one or more roots.
type Graph struct {
	Root     *Root      `json:"-"`
	Closures []*Closure `json:"closures"`
}

// Objects returns the union of the closures' objects, each path once, in
// the order first met: the roots' files, interpreters and libraries.
func (g *Graph) Objects() []*Object {
	seen := map[string]bool{}
	var out []*Object
	for _, c := range g.Closures {
		for _, o := range c.Objects {
			if !seen[o.Path] {
				seen[o.Path] = true
				out = append(out, o)
			}
		}
	}
	return out
}

// Missing returns every missing name of every closure.
func (g *Graph) Missing() []Missing {
	var out []Missing
	for _, c := range g.Closures {
		out = append(out, c.Missing...)
	}
	return out
}
