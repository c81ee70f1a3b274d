package collector

import (
	"fmt"
)

// setPlatform sets Plan.Platform from the programs' ELF headers: the
// image is for one platform, so programs of two are an error. Scripts
// count by their interpreters.
func (c *collection) setPlatform() error {
	var from string
	for _, cl := range c.plan.Graph.Closures {
		o := cl.Root
		if o.File == nil || !c.isProgram(o.Path) {
			continue
		}
		os, arch, variant := o.File.Platform()
		p := Platform{OS: os, Architecture: arch, Variant: variant}
		switch {
		case from == "":
			c.plan.Platform, from = p, o.Path
		case p != c.plan.Platform:
			return fmt.Errorf("programs for two platforms: %s is %s, %s is %s", from, c.plan.Platform, o.Path, p)
		}
	}
	return nil
}

// isProgram reports whether the ELF root p was given as a program or is
// the interpreter of a script given as one (not an --add or --dlopen).
func (c *collection) isProgram(p string) bool {
	return c.programELF[p]
}
