package collector

import (
	"fmt"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan"
)

// WithDlopenNotes sets which libraries declared in .note.dlopen notes
// (elfscan.DlopenNote) the plan gets: those of the given priority and
// above. elfscan.PriorityRequired, PriorityRecommended (the default),
// PrioritySuggested, or "none" for none.
func WithDlopenNotes(priority string) Option {
	return func(c *config) error {
		if _, ok := noteRank[priority]; !ok && priority != "none" {
			return fmt.Errorf("dlopen notes %q: want required, recommended, suggested or none", priority)
		}
		c.dlopenNotes = priority
		return nil
	}
}

// noteRank orders the priorities of the spec, the most needed first.
var noteRank = map[string]int{
	elfscan.PriorityRequired:    0,
	elfscan.PriorityRecommended: 1,
	elfscan.PrioritySuggested:   2,
}

// ruleDlopenNotes: a program or library that declares in a .note.dlopen
// note the libraries it dlopens (systemd's, kmod's, and more each
// release) says what no DT_NEEDED shows. Evidence: the note, in an object
// of the closures. Added: for each note of the chosen priority and above
// (WithDlopenNotes; required and recommended by default) the first of its
// sonames that dlopen(SONAME) by that object would load, found as the
// loader would (its closure's RPATH/RUNPATH, the cache, the default
// directories), with its closure. A required library the root lacks is a
// warning: the program will fail where it needs it.
func ruleDlopenNotes(c *collection) error {
	level := c.cfg.dlopenNotes
	if level == "" {
		level = elfscan.PriorityRecommended
	}
	if level == "none" {
		return nil
	}
	// By index: libraries added bring notes of their own.
	for i := 0; i < len(c.order); i++ {
		o := c.order[i]
		key := "notes:" + o.RealPath
		if o.File == nil || c.cache[key] != nil {
			continue
		}
		c.cache[key] = true
		if k := o.File.Kind; k != elfscan.KindDynamic && k != elfscan.KindShared {
			continue
		}
		notes, err := o.File.DlopenNotes()
		if err != nil {
			c.warn(WarnUnread, o.Path, "%s: dlopen notes not read: %v", o.Path, err)
			continue
		}
		for _, n := range notes {
			rank, ok := noteRank[n.Priority]
			if !ok {
				c.warn(WarnDlopen, o.Path, "%s: dlopen note for %s has priority %q, which the spec does not know: skipped", o.Path, strings.Join(n.Soname, ", "), n.Priority)
				continue
			}
			if rank > noteRank[level] {
				continue
			}
			if err := c.addNoted(o, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// addNoted adds the library of one dlopen note of o: the first of its
// sonames that dlopen by o finds.
func (c *collection) addNoted(o *elfscan.Object, n elfscan.DlopenNote) error {
	what := fmt.Sprintf("%s dlopen note of %s: feature %q", n.Priority, objectName(o), n.Feature)
	if n.Description != "" {
		what += " (" + n.Description + ")"
	}
	for _, name := range n.Soname {
		if name == "" {
			continue
		}
		cl, err := c.dlopenBy(o, name)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if missingDlopen(cl, o.Path, name) {
			continue
		}
		lib := dlopened(cl, name)
		if lib == nil {
			continue
		}
		reason := Reason{Rule: RuleDlopenNote, Requester: o.Path, Evidence: fmt.Sprintf("%s, dlopen(%s) by %s (%s)", what, name, o.Path, lib.Step)}
		if _, ok := c.objects[lib.Path]; ok {
			return c.addPath(lib.Path, reason, true)
		}
		return c.resolve([]string{lib.Path}, map[string][]Reason{lib.Path: {reason}}, nil)
	}
	if n.Priority == elfscan.PriorityRequired {
		c.warn(WarnMissingLibrary, o.Path, "%s: none of %s found where dlopen by %s looks: it will fail where it needs them", what, strings.Join(n.Soname, ", "), o.Path)
	}
	return nil
}

// missingDlopen reports whether the dlopen of name by the object at by
// that cl emulates found nothing (or nothing loadable).
func missingDlopen(cl *elfscan.Closure, by, name string) bool {
	for _, m := range cl.Missing {
		if m.Name == name && m.By != nil && m.By.Path == by {
			return true
		}
	}
	return false
}
