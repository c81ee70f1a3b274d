package collector

import (
	"io/fs"
)

// The users the image knows by name, as distroless has them: root, the
// unprivileged nonroot (65532) that images run as, and nobody.
const (
	passwdData = `root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
`
	groupData = `root:x:0:
nobody:x:65534:
nonroot:x:65532:
`
)

// ruleUsers: a program that looks users or groups up by name or number
// (ls -l, id, stat %U, getpwuid for a home directory…) reads /etc/passwd
// and /etc/group, through glibc's NSS "files" service or directly (musl).
// Evidence: an object importing a passwd or group function. Added: a
// minimal passwd and group (root, nobody, nonroot), unless the plan has
// them already (--add /etc/passwd). To those it adds the root's accounts
// that own planned files (a data directory owned by its service user:
// evidence the program runs as that user, and what docker's --user NAME
// looks up), and those WithUserNames and WithGroupNames name; with such
// accounts, the files are written without import evidence too. With
// passwd, the homes of root, nobody and nonroot that the root has, empty
// (/root, mode 0700). A static
// program shows no evidence: give it users with --add or --users.
func ruleUsers(c *collection) error {
	_, users, funcs := c.nssUsage()
	found := map[string]Reason{}
	for _, f := range []struct{ db, path string }{{"passwd", etcPasswd}, {"group", etcGroup}} {
		if objs := users[f.db]; len(objs) > 0 {
			found[f.path] = Reason{Rule: RuleUsers, Requester: describe(objs), Evidence: "users root, nobody, nonroot (" + evidence(objs, funcs[f.db]) + ")"}
		}
	}
	if err := c.setAccountFiles(found); err != nil {
		return err
	}
	if _, ok := found[etcPasswd]; ok {
		// A program that looks a user up goes to its home (zsh, git,
		// ssh stat it): the image's users' homes that the root has,
		// as distroless has /root, empty: what is in them is the
		// root's users', and secret (WithTraced keeps them out).
		return c.addHomes(parseAccounts([]byte(passwdData), true))
	}
	return nil
}

// tmpFuncs make files in $TMPDIR or /tmp.
var tmpFuncs = []string{
	"mkstemp", "mkstemp64", "mkostemp", "mkostemp64", "mkstemps", "mkstemps64",
	"mkostemps", "mkostemps64", "mkdtemp", "tmpfile", "tmpfile64", "tmpnam",
	"tmpnam_r", "tempnam",
}

// ruleTmp: /tmp, world-writable and sticky, for programs that make
// temporary files. Evidence: an object importing mkstemp, tmpfile and the
// like. Programs that build the name themselves (Python's tempfile, Go's
// os.CreateTemp) show none: add /tmp with --add or a volume.
func ruleTmp(c *collection) error {
	objs := c.importers(tmpFuncs...)
	if len(objs) == 0 {
		return nil
	}
	e := &Entry{Path: "/tmp", Kind: Dir, Mode: fs.ModeDir | fs.ModeSticky | 0o777}
	return c.addEntry(e, Reason{Rule: RuleTmp, Requester: describe(objs), Evidence: evidence(objs, tmpFuncs)}, true)
}
