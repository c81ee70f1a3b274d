package collector

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
)

// WithNoConffiles turns the conffiles rule off: no Debian package
// configuration files and directories are added for the programs and
// libraries of the plan. The rule is on by default where the root has a
// dpkg database, and does nothing elsewhere.
func WithNoConffiles() Option {
	return func(c *config) error {
		c.noConffiles = true
		return nil
	}
}

// conffileSkip are the parts of a package that a program in a container
// does not read: documentation, init systems, cron, log rotation, shell
// completion, the dynamic linker's configuration (the image has its
// cache). A path equal to one or below it is left out.
var conffileSkip = []string{
	"/usr/share/doc", "/usr/share/man", "/usr/share/info", "/usr/share/lintian",
	"/usr/share/bug", "/usr/share/menu", "/usr/share/applications", "/usr/share/icons",
	"/usr/share/pixmaps", "/usr/share/bash-completion", "/usr/share/zsh", "/usr/share/fish",
	"/etc/init.d", "/etc/init", "/etc/rc0.d", "/etc/rc1.d", "/etc/rc2.d", "/etc/rc3.d",
	"/etc/rc4.d", "/etc/rc5.d", "/etc/rc6.d", "/etc/rcS.d", "/etc/default",
	"/etc/systemd", "/lib/systemd", "/usr/lib/systemd", "/usr/lib/tmpfiles.d", "/usr/lib/sysusers.d",
	"/etc/logrotate.d", "/etc/cron.d", "/etc/cron.daily", "/etc/cron.hourly", "/etc/cron.weekly",
	"/etc/cron.monthly", "/etc/bash_completion.d", "/etc/ufw", "/etc/apport", "/etc/apparmor.d",
	"/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/logcheck", "/etc/insserv.conf.d",
}

func conffileSkipped(p string) bool {
	for _, s := range conffileSkip {
		if isDirOrBelow(p, s) {
			return true
		}
	}
	return false
}

// isDirOrBelow reports whether p is the directory d or a path below it
// (without building d+"/": the conffiles rule asks this of every path of
// every package list).
func isDirOrBelow(p, d string) bool {
	return strings.HasPrefix(p, d) && (len(p) == len(d) || p[len(d)] == '/')
}

// ruleConffiles: a program installed from a Debian package reads its
// configuration from the package's conffiles (nginx's /etc/nginx/…,
// redis's /etc/redis/redis.conf) and writes into the directories the
// package made for it (/var/lib/nginx, /var/log/nginx). Evidence: a
// program or library of the plan owned by a package of the root's dpkg
// database (its /var/lib/dpkg/info/PKG.list). Added, for that package and
// the packages of the same source that it depends on (nginx's
// configuration is in nginx-common) — for a library's package, those it
// depends on or recommends that have no programs (libldap's ldap.conf is
// in libldap-common; libnss-systemd's systemd is not the program's) —
// the conffiles that the root has (its PKG.conffiles); the directories of its list
// under /etc, /var and /srv that hold nothing else of the package (made
// for configuration snippets, data, logs, caches) and those that lead to
// the conffiles, each with the root's mode and owner; the symlinks in its
// directories under /etc that its maintainer scripts made to its own
// files (sites-enabled/default). Not added: documentation, init scripts,
// systemd units, cron and log rotation (conffileSkip), the directories
// base-files makes (/etc, /var/lib…). What maintainer scripts make
// elsewhere (redis's /var/log/redis) is in no list: --fix finds it.
func ruleConffiles(c *collection) error {
	if c.cfg.noConffiles {
		return nil
	}
	pkgs, db, err := c.newOwners("conffiles")
	if err != nil || len(pkgs) == 0 {
		return err
	}
	for _, pkg := range pkgs {
		evidence := pkg.id() + " (owner of " + pkg.owns[0] + ")"
		if err := c.addPackageConfig(db, pkg.name, pkg.arch, evidence, pkg.owns[0]); err != nil {
			return err
		}
		program := c.ownsProgram(pkg)
		fields := []string{"Pre-Depends", "Depends"}
		if !program {
			// A library's configuration may come in a package of its
			// own that it recommends (libldap's ldap.conf in
			// libldap-common).
			fields = append(fields, "Recommends")
		}
		for _, dep := range db.sameSourceDepends(db.find(pkg.name, pkg.arch), fields...) {
			if !program && listsPrograms(db.paths(db.listID(dep, ""))) {
				continue // a library's tools and daemons (libnss-systemd's systemd): not the program's
			}
			why := fmt.Sprintf("%s (a dependency of %s, of the same source; %s owns %s)", dep, pkg.id(), pkg.id(), pkg.owns[0])
			if err := c.addPackageConfig(db, dep, "", why, pkg.owns[0]); err != nil {
				return err
			}
		}
	}
	return nil
}

// newOwners returns the packages of the root's dpkg database that own
// objects of the closures that the rule has not asked about yet, with the
// database; none where the root has no dpkg database.
func (c *collection) newOwners(rule string) ([]*dpkgOwner, *dpkgDB, error) {
	if !hasDpkg(c.root) {
		return nil, nil, nil
	}
	var objs []*Entry
	for _, o := range c.order {
		key := rule + ":object:" + o.RealPath
		if o.File == nil || c.cache[key] != nil {
			continue
		}
		c.cache[key] = true
		objs = append(objs, &Entry{Path: o.Path, Kind: File, Source: o.RealPath})
	}
	if len(objs) == 0 {
		return nil, nil, nil
	}
	db, err := c.dpkgDatabase()
	if err != nil {
		return nil, nil, err
	}
	// The rules of one round ask about the same new objects: the
	// search of every list is made once for them.
	var key strings.Builder
	for _, o := range objs {
		key.WriteString(o.Source + "\x00")
	}
	if last, ok := c.cache["dpkg:owners:last"].(ownersAsked); ok && last.objects == key.String() {
		return last.pkgs, db, nil
	}
	pkgs, err := dpkgOwners(db, objs, func(format string, args ...any) {
		c.warn(WarnPackages, "", rule+": "+format, args...)
	})
	if err != nil {
		return nil, nil, err
	}
	c.cache["dpkg:owners:last"] = ownersAsked{key.String(), pkgs}
	return pkgs, db, nil
}

// ownersAsked is newOwners' last answer.
type ownersAsked struct {
	objects string // the real paths asked about, NUL-terminated
	pkgs    []*dpkgOwner
}

// programDirs are where a package's programs are.
var programDirs = []string{"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/games"}

// listsPrograms reports whether a package list has a file in programDirs.
func listsPrograms(list []string) bool {
	for _, p := range list {
		if slices.Contains(programDirs, path.Dir(p)) {
			return true
		}
	}
	return false
}

// ownsProgram reports whether the package owns a program of the plan.
func (c *collection) ownsProgram(pkg *dpkgOwner) bool {
	for _, p := range pkg.owns {
		if c.programELF[p] {
			return true
		}
		if o := c.objects[p]; o != nil && c.programELF[o.RealPath] {
			return true
		}
	}
	return false
}

// addPackageConfig adds one package's conffiles, directories and enabling
// symlinks (ruleConffiles).
// requester is the program or library whose package it is.
func (c *collection) addPackageConfig(db *dpkgDB, name, arch, evidence, requester string) error {
	key := "conffiles:package:" + name + ":" + arch
	if c.cache[key] != nil {
		return nil
	}
	c.cache[key] = true
	id := db.listID(name, arch)
	listData, err := db.list(id)
	if err != nil {
		return nil // installed without a list: nothing to go by
	}
	list := strings.Split(strings.TrimSpace(string(listData)), "\n")
	sort.Strings(list)
	var listed map[string]bool // for addEnablingLinks, made on first use
	reason := Reason{Rule: RuleConffiles, Requester: requester, Evidence: "configuration of " + evidence}
	// Conffiles, and the directories above them.
	parents := map[string]bool{}
	if data, err := c.root.ReadFile(path.Join(dpkgInfo, id+".conffiles"), 16<<20); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Fields(line)
			if len(f) == 0 || !strings.HasPrefix(f[0], "/") || conffileSkipped(f[0]) {
				continue
			}
			if len(f) > 1 && f[1] == "obsolete" {
				continue
			}
			st, err := c.root.Lstat(f[0])
			if err != nil || !st.Mode().IsRegular() {
				continue // removed by the admin: the program does without
			}
			if err := c.addPath(f[0], reason, true); err != nil {
				return err
			}
			for d := path.Dir(f[0]); !db.skeleton[d]; d = path.Dir(d) {
				parents[d] = true
			}
		}
	}
	// Directories the package made for itself: those under /etc, /var
	// and /srv holding nothing else of it (configuration snippets, data,
	// logs, caches; elsewhere an empty directory is a template's, such
	// as git's templates/branches), and those above its conffiles.
	for i, d := range list {
		leaf := (i+1 == len(list) || !isBelow(list[i+1], d)) && (isBelow(d, "/etc") || isBelow(d, "/var") || isBelow(d, "/srv"))
		if !leaf && !parents[d] || !strings.HasPrefix(d, "/") || db.skeleton[d] || conffileSkipped(d) {
			continue
		}
		st, err := c.root.Lstat(d)
		if err != nil || !st.IsDir() {
			continue
		}
		if err := c.addDir(d, st, Reason{Rule: RuleConffiles, Requester: requester, Evidence: "directory of " + evidence}); err != nil {
			return err
		}
		if strings.HasPrefix(d, "/etc/") {
			if listed == nil {
				listed = make(map[string]bool, len(list))
				for _, l := range list {
					listed[l] = true
				}
			}
			enabled := Reason{Rule: RuleConffiles, Requester: requester, Evidence: "enabled in the root: " + reason.Evidence}
			if err := c.addEnablingLinks(d, listed, enabled); err != nil {
				return err
			}
		}
	}
	return nil
}

// addDir adds the directory d of the root (not what is in it) with its
// mode, setgid bit and owner.
func (c *collection) addDir(d string, st fs.FileInfo, reason Reason) error {
	m := st.Mode()
	e := &Entry{Path: d, Kind: Dir, Mode: fs.ModeDir | m.Perm() | m&(fs.ModeSetgid|fs.ModeSticky)}
	e.Uid, e.Gid = owner(st)
	return c.addEntry(e, reason, true)
}

// addEnablingLinks adds the symlinks in the directory d that no package
// lists (a maintainer script or the admin made them) and that lead to a
// file the package lists: nginx's sites-enabled/default →
// sites-available/default.
func (c *collection) addEnablingLinks(d string, listed map[string]bool, reason Reason) error {
	des, err := c.root.ReadDir(d)
	if err != nil {
		return nil
	}
	var byBase map[string][]string // the listed paths, by base name
	for _, de := range des {
		p := path.Join(d, de.Name())
		if de.Type()&fs.ModeSymlink == 0 || listed[p] {
			continue
		}
		real, _, err := c.root.Resolve(p)
		if err != nil {
			continue
		}
		if byBase == nil {
			byBase = map[string][]string{}
			for l := range listed {
				byBase[path.Base(l)] = append(byBase[path.Base(l)], l)
			}
		}
		own := false
		for _, l := range byBase[path.Base(real)] {
			if r, _, err := c.root.Resolve(l); err == nil && r == real {
				own = true
				break
			}
		}
		if !own {
			continue
		}
		if err := c.addPath(p, reason, true); err != nil {
			return err
		}
	}
	return nil
}

// isBelow reports whether p is a path below the directory d.
func isBelow(p, d string) bool {
	return len(p) > len(d) && isDirOrBelow(p, d)
}
