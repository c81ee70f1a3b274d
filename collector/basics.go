package collector

import "io/fs"

// WithTmp adds /tmp (world-writable, sticky) whatever the evidence. The
// rule that adds it on its own sees only C programs that import mkstemp
// and the like; Go's os.CreateTemp, Python's tempfile and programs that
// build names under $TMPDIR themselves show nothing in their ELF files.
func WithTmp() Option {
	return func(c *config) error {
		c.tmp = true
		return nil
	}
}

// WithUsers adds the minimal /etc/passwd and /etc/group (root, nobody,
// nonroot) whatever the evidence, unless added otherwise: static programs
// (Go's os/user, a server that drops privileges by name) read them
// without importing anything.
func WithUsers() Option {
	return func(c *config) error {
		c.users = true
		return nil
	}
}

// addBasics adds what WithTmp and WithUsers ask for, after the rules so
// that a rule's own reason comes first where both apply.
func (c *collection) addBasics(cfg *config) error {
	if cfg.tmp {
		e := &Entry{Path: "/tmp", Kind: Dir, Mode: fs.ModeDir | fs.ModeSticky | 0o777}
		if err := c.addEntry(e, Reason{Rule: RuleTmp, Evidence: "--tmp"}, true); err != nil {
			return err
		}
	}
	if cfg.users {
		for _, f := range []struct{ path, data string }{{"/etc/passwd", passwdData}, {"/etc/group", groupData}} {
			if c.entries[f.path] != nil {
				continue
			}
			if err := c.addGenerated(f.path, []byte(f.data), Reason{Rule: RuleUsers, Evidence: "--users: root, nobody, nonroot"}); err != nil {
				return err
			}
		}
	}
	return nil
}
