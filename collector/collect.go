package collector

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan"
)

// collect is Collect without the package's prefix on its errors.
func collect(roots []string, opts ...Option) (*Plan, error) {
	cfg := &config{path: DefaultPath()}
	for _, o := range opts {
		if err := o(cfg); err != nil {
			return nil, err
		}
	}
	if len(roots) == 0 {
		return nil, errors.New("no program given")
	}
	ropts := cfg.resolver
	if cfg.noAuto && len(cfg.traced) > 0 {
		// Neither a rule nor the dlopen warning asks what the objects
		// import: their symbol tables stay unread.
		ropts = append(slices.Clip(ropts), elfscan.WithImports(false))
	}
	c := newCollection(cfg, elfscan.NewResolver(ropts...))
	if err := c.addPrograms(roots); err != nil {
		return nil, err
	}
	c.adding = true
	for _, a := range cfg.adds {
		if err := c.addUserPath(a.src, a.dst, Reason{Rule: RuleAdd, Requester: a.src}); err != nil {
			return nil, err
		}
	}
	c.adding = false
	if err := c.addTraced(cfg.traced); err != nil {
		return nil, err
	}
	for _, name := range cfg.dlopen {
		if err := c.addDlopen(name); err != nil {
			return nil, err
		}
	}
	if cfg.tzdata {
		if err := c.addTZData(); err != nil {
			return nil, err
		}
	}
	if !cfg.noAuto {
		if err := c.runRules(); err != nil {
			return nil, err
		}
	} else if err := c.addNamed(); err != nil {
		return nil, err
	}
	if err := c.addBasics(cfg); err != nil {
		return nil, err
	}
	if cfg.packages {
		if err := c.addPackageMetadata(); err != nil {
			return nil, err
		}
	}
	if len(cfg.traced) == 0 {
		// A traced run found what the program opened at run time.
		c.warnDlopen()
	}
	plan, err := c.finish()
	if err != nil {
		return nil, err
	}
	if err := checkMissing(cfg, plan); err != nil {
		return nil, err
	}
	return plan, nil
}

// A collection is the plan being built.
type collection struct {
	cfg  *config
	res  *elfscan.Resolver
	root *elfscan.Root
	plan *Plan

	objects map[string]*elfscan.Object // every object of every closure, by Path
	order   []*elfscan.Object          // the same, in the order first met
	// programELF are the ELF files run as programs: the programs given
	// and the interpreters of scripts given (not --add or --dlopen).
	programELF map[string]bool

	entries  map[string]*Entry
	implicit map[string]bool      // directories made only as parents
	excluded map[string]string    // image path → the pattern that excluded it
	trees    map[string]bool      // "src→dst" of directory trees added
	linkDir  map[string]linkFacts // symlink path → what addLinks needs of it
	warned   map[string]bool
	cache    map[string]any // per-rule memo (libc facts…)
	// inRules is set while the rules run: they run until nothing new
	// comes in, and their reasons, which name the evidence found so far,
	// are kept from the first round only.
	inRules bool
	// byRules are the objects first brought in by a rule (NSS and gconv
	// modules, libgcc_s and their closures): what they dlopen is the
	// rule's business, not a warning for the user.
	byRules map[string]bool
	// adding is set while WithAdd's paths are added: a path of the plan
	// they would change the type of is an error, not a warning.
	adding bool
}

func newCollection(cfg *config, res *elfscan.Resolver) *collection {
	return &collection{
		cfg:        cfg,
		res:        res,
		root:       res.Root(),
		plan:       &Plan{Root: res.Root(), Graph: &elfscan.Graph{Root: res.Root()}},
		objects:    map[string]*elfscan.Object{},
		programELF: map[string]bool{},
		entries:    map[string]*Entry{},
		implicit:   map[string]bool{},
		excluded:   map[string]string{},
		trees:      map[string]bool{},
		linkDir:    map[string]linkFacts{},
		warned:     map[string]bool{},
		cache:      map[string]any{},
	}
}

// addEnv sets a variable of Plan.Env (the first value given wins).
func (c *collection) addEnv(name, value string) {
	for _, kv := range c.plan.Env {
		if strings.HasPrefix(kv, name+"=") {
			return
		}
	}
	c.plan.Env = append(c.plan.Env, name+"="+value)
}

// resolve computes the closures of ELF roots and adds them to the plan.
// reasons gives each root's reasons; placed roots are already in the plan
// at another path (a relocated --add) and only bring their closure.
func (c *collection) resolve(paths []string, reasons map[string][]Reason, placed map[string]bool) error {
	if len(paths) == 0 {
		return nil
	}
	g, err := c.res.Resolve(paths...)
	if err != nil {
		return err
	}
	return c.addGraph(g, reasons, placed)
}

// addGraph adds every object of g at the path the loader opens.
func (c *collection) addGraph(g *elfscan.Graph, reasons map[string][]Reason, placed map[string]bool) error {
	for _, cl := range g.Closures {
		c.plan.Graph.Closures = append(c.plan.Graph.Closures, cl)
		for _, o := range cl.Objects {
			if _, ok := c.objects[o.Path]; ok && c.inRules {
				// Planned already: a rule's library brings no new
				// reasons for libc and the like.
				continue
			} else if !ok {
				c.objects[o.Path] = o
				c.order = append(c.order, o)
				if c.inRules {
					if c.byRules == nil {
						c.byRules = map[string]bool{}
					}
					c.byRules[o.Path] = true
				}
			}
			var why []Reason
			switch {
			case o == cl.Root:
				if placed[o.Path] {
					continue
				}
				why = reasons[o.Path]
				if len(why) == 0 {
					why = []Reason{{Rule: RuleProgram}}
				}
			case o.Step == elfscan.StepInterp || o == cl.Interp:
				why = []Reason{{Rule: RuleInterpreter, Requester: cl.Root.Path}}
			default:
				why = []Reason{neededBy(o)}
			}
			if o != cl.Root && (c.isExcluded(o.Path) || c.isExcluded(o.RealPath)) {
				c.warn(WarnExcluded, o.Path, "%s is excluded but the loader needs it (%s): %s will not start", o.Path, why[0], cl.Root.Path)
				continue
			}
			for _, r := range why {
				if err := c.addPath(o.Path, r, true); err != nil {
					return fmt.Errorf("%s: %w", o.Path, err)
				}
			}
		}
		if err := c.addCacheIfNeeded(cl); err != nil {
			return err
		}
	}
	return nil
}

// neededBy is the reason of a library: "needed by libcurl.so.4 ←
// /usr/bin/curl (ld.so.cache)".
func neededBy(o *elfscan.Object) Reason {
	return Reason{Rule: RuleNeeded, Requester: requesterChain(o.Parent), Evidence: o.Step.String()}
}

// neededByChain is the text of a RuleNeeded reason, for warnings.
func neededByChain(by *elfscan.Object, step string) string {
	return Reason{Rule: RuleNeeded, Requester: requesterChain(by), Evidence: step}.String()
}

// requesterChain names an object and the objects that loaded it:
// "libcurl.so.4 ← /usr/bin/curl".
func requesterChain(by *elfscan.Object) string {
	var names []string
	for x := by; x != nil; x = x.Parent {
		names = append(names, objectName(x))
	}
	return strings.Join(names, " ← ")
}

// objectName names an object in reasons: a root by its path, a library by
// the name it was asked for.
func objectName(o *elfscan.Object) string {
	if o.Parent == nil || o.Name == "" {
		return o.Path
	}
	return o.Name
}

// describe names a few objects for a reason: "ls, libc.so.6 and 2 more".
func describe(objs []*elfscan.Object) string {
	var names []string
	for _, o := range objs {
		names = append(names, objectName(o))
	}
	const most = 3
	if len(names) > most {
		return strings.Join(names[:most], ", ") + fmt.Sprintf(" and %d more", len(names)-most)
	}
	return strings.Join(names, ", ")
}

// addUserPath adds src of the root at dst in the image: a file, or a
// directory tree; ELF files among them bring their closures.
func (c *collection) addUserPath(src, dst string, reason Reason) error {
	var elfs []string
	var err error
	if src == dst {
		err = c.addPathFound(src, reason, false, &elfs)
	} else {
		err = c.addRelocated(src, dst, reason, &elfs)
	}
	if err != nil {
		return fmt.Errorf("WithAdd(%s): %w", src, err)
	}
	return c.resolveAdded(elfs, reason)
}

// resolveAdded brings the closures of ELF files added by path: each on its
// own, so that one odd file (another machine's, a kernel module) is a
// warning, not the end of the plan.
func (c *collection) resolveAdded(elfs []string, reason Reason) error {
	for _, p := range elfs {
		f, err := elfscan.Open(c.root, p)
		if err != nil {
			c.warn(WarnNotAdded, p, "%s: %s: not read as ELF: %v", reason, p, err)
			continue
		}
		switch f.Kind {
		case elfscan.KindDynamic, elfscan.KindShared:
		default:
			continue // runs alone, or is not loaded by the loader at all
		}
		placed := map[string]bool{p: true}
		if err := c.resolve([]string{p}, map[string][]Reason{p: {reason}}, placed); err != nil {
			c.warn(WarnNotAdded, p, "%s: %s: closure not resolved: %v", reason, p, err)
		}
	}
	return nil
}

// finish turns the entries into the sorted plan.
func (c *collection) finish() (*Plan, error) {
	if err := c.linkHardlinks(); err != nil {
		return nil, err
	}
	c.checkSymlinks()
	paths := make([]string, 0, len(c.entries))
	for p := range c.entries {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	c.plan.Entries = make([]Entry, 0, len(paths))
	for _, p := range paths {
		c.plan.Entries = append(c.plan.Entries, *c.entries[p])
	}
	for p, pat := range c.excluded {
		c.plan.Excluded = append(c.plan.Excluded, p+" ("+pat+")")
	}
	sort.Strings(c.plan.Excluded)
	if err := c.setPlatform(); err != nil {
		return nil, err
	}
	return c.plan, nil
}

// fileMode is the mode a copied file gets: its permissions, and its
// setuid/setgid bits only with WithKeepSetuid.
func (c *collection) fileMode(p string, m fs.FileMode) fs.FileMode {
	mode := m.Perm()
	special := m & (fs.ModeSetuid | fs.ModeSetgid)
	if special != 0 {
		if c.cfg.keepSetuid {
			mode |= special
		} else {
			c.warn(WarnDropped, p, "%s: setuid/setgid bits dropped (keep them with WithKeepSetuid)", p)
		}
	}
	return mode
}

// isExcluded reports whether p or one of its parents matches an exclude
// pattern, and records it.
func (c *collection) isExcluded(p string) bool {
	for _, pat := range c.cfg.exclude {
		if matchExclude(pat, p) {
			c.excluded[p] = pat
			return true
		}
	}
	return false
}

// matchExclude reports whether the image path p, or a directory above it,
// matches the pattern. Patterns use path.Match syntax per path component,
// plus "**" for any number of components. An absolute pattern matches
// whole paths ("/usr/share/doc", "/usr/lib/**/*.a"); a relative one
// matches the end of a path at any depth ("libssl.so*", "share/doc",
// "gconv/*.so").
func matchExclude(pattern, p string) bool {
	pat := strings.Split(strings.Trim(pattern, "/"), "/")
	for x := p; x != "/"; x = path.Dir(x) {
		comps := strings.Split(strings.TrimPrefix(x, "/"), "/")
		if strings.HasPrefix(pattern, "/") {
			if matchComponents(pat, comps) {
				return true
			}
			continue
		}
		for k := range comps {
			if matchComponents(pat, comps[k:]) {
				return true
			}
		}
	}
	return false
}

// matchComponents matches path components against pattern components.
func matchComponents(pat, comps []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(comps); i++ {
				if matchComponents(pat[1:], comps[i:]) {
					return true
				}
			}
			return false
		}
		if len(comps) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], comps[0]); !ok {
			return false
		}
		pat, comps = pat[1:], comps[1:]
	}
	return len(comps) == 0
}
