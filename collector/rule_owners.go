package collector

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// WithUserNames adds users of the root's /etc/passwd to the image's, by
// name, with their primary groups: the names a program asks NSS for at
// run time (a server's "user www-data;", "memcached -u memcache"), which
// no file of the plan is owned by. A name the root does not know is an
// error. Giving any makes the image have /etc/passwd and /etc/group.
func WithUserNames(names ...string) Option {
	return func(c *config) error {
		c.userNames = append(c.userNames, names...)
		return nil
	}
}

// WithGroupNames adds groups of the root's /etc/group to the image's, by
// name, as WithUserNames adds users.
func WithGroupNames(names ...string) Option {
	return func(c *config) error {
		c.groupNames = append(c.groupNames, names...)
		return nil
	}
}

const (
	etcPasswd = "/etc/passwd"
	etcGroup  = "/etc/group"
)

// owner is the uid and gid of a file of the root.
func owner(st fs.FileInfo) (uid, gid int) {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return int(sys.Uid), int(sys.Gid)
	}
	return 0, 0
}

// An account is one line of passwd or group, with the id it defines.
type account struct {
	name string
	id   int
	gid  int    // a user's primary group
	line string // as the image's file has it
}

// parseAccounts reads passwd (users) or group lines: name:x:id:…. The
// second field is written "x" whatever it was: a hash never goes into the
// image (shadow files never do). Group member lists are dropped: the
// image's users are few, and their membership is the primary group.
func parseAccounts(data []byte, users bool) []account {
	var out []account
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 3 || f[0] == "" || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], "+") || strings.HasPrefix(f[0], "-") {
			continue
		}
		id, err := strconv.Atoi(f[2])
		if err != nil || id < 0 {
			continue
		}
		a := account{name: f[0], id: id}
		f[1] = "x"
		if users {
			if len(f) != 7 {
				continue
			}
			if a.gid, err = strconv.Atoi(f[3]); err != nil {
				continue
			}
		} else {
			f = append(f[:3], "")
		}
		a.line = strings.Join(f, ":")
		out = append(out, a)
	}
	return out
}

// accountWanted is why an account goes into the image.
type accountWanted struct {
	byID   map[int]string    // id → reason
	byName map[string]string // name → reason
}

// ownerAccounts lists the non-root owners of the planned entries (one
// reason each: the first path owned) and the names WithUserNames and
// WithGroupNames asked for.
func (c *collection) ownerAccounts() (users, groups accountWanted) {
	users = accountWanted{byID: map[int]string{}, byName: map[string]string{}}
	groups = accountWanted{byID: map[int]string{}, byName: map[string]string{}}
	paths := make([]string, 0, len(c.entries))
	for p, e := range c.entries {
		if e.Uid != 0 || e.Gid != 0 {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		e := c.entries[p]
		if _, ok := users.byID[e.Uid]; e.Uid != 0 && !ok {
			users.byID[e.Uid] = "owner of " + p
		}
		if _, ok := groups.byID[e.Gid]; e.Gid != 0 && !ok {
			groups.byID[e.Gid] = "group of " + p
		}
	}
	for _, n := range c.cfg.userNames {
		users.byName[n] = "asked for by name"
	}
	for _, n := range c.cfg.groupNames {
		groups.byName[n] = "asked for by name"
	}
	for _, a := range c.cfg.accountIDs {
		w := users
		if a.Group {
			w = groups
		}
		if _, ok := w.byID[int(a.ID)]; !ok {
			w.byID[int(a.ID)] = a.Reason
		}
	}
	return users, groups
}

// rootAccounts reads the root's passwd or group file (nil if it has none).
func (c *collection) rootAccounts(p string, users bool) ([]account, error) {
	if !c.exists(p) {
		return nil, nil
	}
	data, err := c.root.ReadFile(p, 16<<20)
	if err != nil {
		return nil, err
	}
	return parseAccounts(data, users), nil
}

// accountFiles returns the image's passwd and group: the minimal ones
// (root, nobody, nonroot) plus the root's accounts that own planned files
// or were asked for by name, with the primary groups of those users, and
// the reasons for the additions to each. A name asked for that the root
// lacks is an error; an owner id it lacks stays a number.
func (c *collection) accountFiles() (passwd, group []byte, users []account, whyU, whyG []string, err error) {
	wantU, wantG := c.ownerAccounts()
	if len(wantU.byID)+len(wantU.byName)+len(wantG.byID)+len(wantG.byName) == 0 {
		return []byte(passwdData), []byte(groupData), nil, nil, nil, nil
	}
	rootU, err := c.rootAccounts(etcPasswd, true)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	rootG, err := c.rootAccounts(etcGroup, false)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	passwd, pickedU, whyU, err := pickAccounts(rootU, wantU, passwdData, etcPasswd, true)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	for _, u := range pickedU {
		if _, ok := wantG.byID[u.gid]; !ok {
			wantG.byID[u.gid] = "primary group of " + u.name
		}
	}
	group, _, whyG, err = pickAccounts(rootG, wantG, groupData, etcGroup, false)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	return passwd, group, pickedU, whyU, whyG, nil
}

// pickAccounts appends to the minimal file base the accounts of the
// root's file (all) that are wanted, by name or id, unless base has the
// name or id already.
func pickAccounts(all []account, want accountWanted, base, file string, users bool) (out []byte, picked []account, why []string, err error) {
	what := map[bool]string{true: "user", false: "group"}[users]
	names, ids := map[string]bool{}, map[int]bool{}
	for _, a := range parseAccounts([]byte(base), users) {
		names[a.name], ids[a.id] = true, true
	}
	out = []byte(base)
	for _, a := range all {
		reason, ok := want.byName[a.name]
		if !ok {
			reason, ok = want.byID[a.id]
		}
		if !ok || names[a.name] || ids[a.id] {
			continue
		}
		names[a.name], ids[a.id] = true, true
		out = append(out, a.line+"\n"...)
		picked = append(picked, a)
		why = append(why, fmt.Sprintf("%s %s (%d) of the root's %s: %s", what, a.name, a.id, file, reason))
	}
	for n := range want.byName {
		if !names[n] {
			return nil, nil, nil, fmt.Errorf("%s %s is not in the root's %s", what, n, file)
		}
	}
	return out, picked, why, nil
}

// setAccountFiles writes the image's passwd and group (accountFiles),
// replacing the ones it wrote in an earlier round of the rules, never one
// given with --add. evidence holds, per file, the evidence that a program
// looks its database up; a file without it is written only when owners or
// names ask for accounts beyond the minimal ones.
func (c *collection) setAccountFiles(evidence map[string]Reason) error {
	passwd, group, users, whyU, whyG, err := c.accountFiles()
	if err != nil {
		return err
	}
	if err := c.addHomes(users); err != nil {
		return err
	}
	for _, f := range []struct {
		path string
		data []byte
		why  []string
	}{{etcPasswd, passwd, whyU}, {etcGroup, group, whyG}} {
		var reasons []Reason
		if r, ok := evidence[f.path]; ok {
			reasons = append(reasons, r)
		}
		for _, w := range f.why {
			reasons = append(reasons, Reason{Rule: RuleAccounts, Evidence: w})
		}
		if len(reasons) == 0 && len(whyU)+len(whyG) == 0 {
			continue
		}
		if len(reasons) == 0 {
			reasons = []Reason{{Rule: RuleAccounts, Evidence: "the other account file has accounts of the root"}}
		}
		key := "generated:" + f.path
		if e := c.entries[f.path]; e != nil {
			if c.cache[key] == nil {
				continue // the user's own (--add), or a trace's
			}
			e.Data, e.Size, e.Reasons = f.data, int64(len(f.data)), reasons
			continue
		}
		if err := c.addGenerated(f.path, f.data, reasons[0]); err != nil {
			return err
		}
		c.cache[key] = true
		if e := c.entries[f.path]; e != nil {
			e.Reasons = reasons
		}
	}
	return nil
}

// addHomes adds the home directories of the root's users that the image
// has: a service user's home is its data directory (redis's
// /var/lib/redis, made by its package's maintainer script, in no package
// list). Only a home the user owns in the root is taken: "/", /nonexistent
// and shared directories are not its data.
func (c *collection) addHomes(users []account) error {
	for _, u := range users {
		f := strings.Split(u.line, ":")
		home := f[5]
		if !strings.HasPrefix(home, "/") || home == "/" {
			continue
		}
		st, err := c.root.Lstat(home)
		if err != nil || !st.IsDir() {
			continue
		}
		if uid, _ := owner(st); uid != u.id {
			continue
		}
		why := Reason{Rule: RuleAccounts, Requester: u.name, Evidence: fmt.Sprintf("home of user %s (%d)", u.name, u.id)}
		if err := c.addDir(home, st, why); err != nil {
			return err
		}
	}
	return nil
}

// addNamed adds, with WithNoAuto, what options name explicitly but the
// rules add otherwise: the locales of WithLocales, the accounts of
// WithUserNames, WithGroupNames and WithAccountIDs (with the owners' accounts: names
// alone would leave files owned by numbers the image does not know).
func (c *collection) addNamed() error {
	if len(c.cfg.locales) > 0 {
		if c.glibc() == nil {
			return fmt.Errorf("locales %s: no glibc in the closures", strings.Join(c.cfg.locales, ", "))
		}
		dir := c.localeDir()
		for _, name := range c.cfg.locales {
			if err := c.addLocale(dir, name); err != nil {
				return fmt.Errorf("locale %s: %w", name, err)
			}
		}
	}
	if len(c.cfg.userNames)+len(c.cfg.groupNames)+len(c.cfg.accountIDs) > 0 {
		return c.setAccountFiles(nil)
	}
	return nil
}
