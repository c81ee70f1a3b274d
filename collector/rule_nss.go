package collector

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/fromscratch/fromscratch/elfscan"
)

// nssDatabases are the NSS databases and the libc functions that look
// them up: the evidence that a program uses a database.
var nssDatabases = []struct {
	db    string
	funcs []string
}{
	{"passwd", []string{"getpwnam", "getpwnam_r", "getpwuid", "getpwuid_r", "getpwent", "getpwent_r", "getpw", "cuserid"}},
	{"group", []string{"getgrnam", "getgrnam_r", "getgrgid", "getgrgid_r", "getgrent", "getgrent_r", "getgrouplist", "initgroups"}},
	{"initgroups", []string{"getgrouplist", "initgroups"}},
	{"shadow", []string{"getspnam", "getspnam_r", "getspent", "getspent_r"}},
	{"gshadow", []string{"getsgnam", "getsgnam_r", "getsgent", "getsgent_r"}},
	{"hosts", []string{"getaddrinfo", "getnameinfo", "gethostbyname", "gethostbyname_r", "gethostbyname2", "gethostbyname2_r", "gethostbyaddr", "gethostbyaddr_r", "gethostent", "gethostent_r"}},
	{"services", []string{"getaddrinfo", "getnameinfo", "getservbyname", "getservbyname_r", "getservbyport", "getservbyport_r", "getservent", "getservent_r"}},
	{"protocols", []string{"getprotobyname", "getprotobyname_r", "getprotobynumber", "getprotobynumber_r", "getprotoent", "getprotoent_r"}},
	{"networks", []string{"getnetbyname", "getnetbyname_r", "getnetbyaddr", "getnetbyaddr_r", "getnetent", "getnetent_r"}},
	{"netgroup", []string{"innetgr", "getnetgrent", "getnetgrent_r", "setnetgrent"}},
	{"ethers", []string{"ether_hostton", "ether_ntohost"}},
	{"rpc", []string{"getrpcbyname", "getrpcbyname_r", "getrpcbynumber", "getrpcbynumber_r", "getrpcent", "getrpcent_r"}},
	{"aliases", []string{"getaliasbyname", "getaliasbyname_r", "getaliasent", "getaliasent_r"}},
}

// nssFiles are the files the "files" service reads, per database, that
// the root's copy is right for. passwd and group are the users rule's;
// hosts is the container runtime's, as are resolv.conf and hostname.
var nssFiles = map[string]string{
	"services":  "/etc/services",
	"protocols": "/etc/protocols",
	"networks":  "/etc/networks",
	"ethers":    "/etc/ethers",
	"rpc":       "/etc/rpc",
	"netgroup":  "/etc/netgroup",
	"aliases":   "/etc/aliases",
}

const nsswitchConf = "/etc/nsswitch.conf"

// defaultNsswitch is written when the root has no nsswitch.conf: the
// databases a program in a container looks up, from files (and DNS).
const defaultNsswitch = `passwd:    files
group:     files
shadow:    files
hosts:     files dns
networks:  files
protocols: files
services:  files
`

// nssUsage returns the databases the closures look up, each with the
// objects that import its functions, in nssDatabases order.
func (c *collection) nssUsage() (dbs []string, users map[string][]*elfscan.Object, funcs map[string][]string) {
	users, funcs = map[string][]*elfscan.Object{}, map[string][]string{}
	for _, d := range nssDatabases {
		if objs := c.importers(d.funcs...); len(objs) > 0 {
			dbs = append(dbs, d.db)
			users[d.db], funcs[d.db] = objs, d.funcs
		}
	}
	return dbs, users, funcs
}

// ruleNSS: glibc loads a module libnss_SERVICE.so.2 for each service that
// /etc/nsswitch.conf names for a database, the first time a program looks
// the database up. Evidence: glibc's libc.so.6 in a closure and an object
// importing one of the database's functions (libc exports them; their
// importers are the users). Added: nsswitch.conf (the root's, or a
// minimal default), the modules of the services named for the databases
// used that the root has (+ closures) except those built into libc
// (files and dns since glibc 2.34), and the root's files the "files"
// service reads for them (/etc/services…).
func ruleNSS(c *collection) error {
	libc := c.glibc()
	if libc == nil {
		return nil
	}
	dbs, users, funcs := c.nssUsage()
	if len(dbs) == 0 {
		return nil
	}
	first := dbs[0]
	confReason := Reason{Rule: RuleNSSConfig, Requester: describe(users[first]), Evidence: evidence(users[first], funcs[first])}
	conf := []byte(defaultNsswitch)
	if c.exists(nsswitchConf) {
		data, err := c.root.ReadFile(nsswitchConf, 1<<20)
		if err != nil {
			return err
		}
		conf = data
		if err := c.addPath(nsswitchConf, confReason, true); err != nil {
			return err
		}
	} else if err := c.addGenerated(nsswitchConf, conf, Reason{Rule: RuleNSSConfig, Requester: confReason.Requester, Evidence: confReason.Evidence + "; the default: the root has none"}); err != nil {
		return err
	}
	services := parseNsswitch(conf)
	builtin, err := c.nssBuiltin(libc)
	if err != nil {
		return err
	}
	for _, db := range dbs {
		why := Reason{Rule: RuleNSS, Requester: describe(users[db]), Evidence: fmt.Sprintf("%s: %s (%s)", db, strings.Join(services[db], " "), evidence(users[db], funcs[db]))}
		for _, s := range services[db] {
			if builtin(s) {
				continue
			}
			if _, err := c.addLibrary("libnss_"+s+".so.2", why); err != nil {
				return err
			}
			// A service the root lacks is skipped by glibc there too.
		}
		if f := nssFiles[db]; f != "" && contains(services[db], "files") && c.exists(f) {
			if err := c.addPath(f, why, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// parseNsswitch returns the services of each database of nsswitch.conf,
// without the [STATUS=action] items.
func parseNsswitch(data []byte) map[string][]string {
	out := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		db, rest, ok := strings.Cut(line, ":")
		db = strings.TrimSpace(db)
		if !ok || db == "" {
			continue
		}
		var services []string
		depth := 0
		for _, w := range strings.Fields(strings.NewReplacer("[", " [ ", "]", " ] ").Replace(rest)) {
			switch {
			case w == "[":
				depth++
			case w == "]":
				depth--
			case depth == 0:
				services = append(services, w)
			}
		}
		out[db] = services
	}
	return out
}

// nssBuiltin reports, for glibc's libc.so.6, which services it has built
// in: those whose _nss_SERVICE_* functions it exports (files and dns
// since glibc 2.34). An older glibc loads libnss_files.so.2 as any other.
func (c *collection) nssBuiltin(libc *elfscan.Object) (func(string) bool, error) {
	syms, err := libc.File.Exports()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", libc.Path, err)
	}
	return func(service string) bool {
		prefix := "_nss_" + service + "_"
		for _, s := range syms {
			if strings.HasPrefix(s, prefix) {
				return true
			}
		}
		return false
	}, nil
}

// fileString finds in the file p a NUL-terminated string that starts with
// prefix and ends with suffix, and returns it; libraries keep their
// compiled-in paths that way (glibc's gconv directory, OpenSSL's
// OPENSSLDIR). The file is read a window at a time into one buffer:
// libcrypto is megabytes, which a buffer of its size would fault in page
// by page.
func (c *collection) fileString(p, prefix, suffix string) string {
	key := "string:" + p + "\x00" + prefix + "\x00" + suffix
	if v, ok := c.cache[key]; ok {
		return v.(string)
	}
	found := ""
	if f, err := c.root.Open(p); err == nil {
		found = findString(f, prefix, suffix, c.stringWindow())
		f.Close()
	}
	c.cache[key] = found
	return found
}

// Strings longer than maxFileString are not what fileString looks for;
// windows overlap by twice that, so that every shorter one lies whole in
// one of them.
const (
	maxFileString = 4096
	stringWindow  = 256 << 10
)

// stringWindow is the collection's buffer for fileString.
func (c *collection) stringWindow() []byte {
	b, _ := c.cache["string:window"].([]byte)
	if b == nil {
		b = make([]byte, stringWindow)
		c.cache["string:window"] = b
	}
	return b
}

// findString is fileString's search of r, through buf.
func findString(r io.ReaderAt, prefix, suffix string, buf []byte) string {
	anchor := prefix
	if len(suffix) > len(prefix) {
		anchor = suffix
	}
	step := int64(len(buf) - 2*maxFileString)
	for start := int64(0); ; start += step {
		n, err := r.ReadAt(buf, start)
		data := buf[:n]
		for off := 0; off < len(data); {
			i := bytes.Index(data[off:], []byte(anchor))
			if i < 0 {
				break
			}
			i += off
			off = i + len(anchor)
			begin := bytes.LastIndexByte(data[:i], 0) + 1
			end := bytes.IndexByte(data[i:], 0)
			switch {
			case begin == 0 && start > 0:
				continue // it began in the window before, and was seen there
			case end < 0 && err == nil:
				continue // it ends in the next window, which will see it whole
			case end < 0:
				end = len(data) - i
			}
			s := data[begin : i+end]
			if bytes.HasPrefix(s, []byte(prefix)) && bytes.HasSuffix(s, []byte(suffix)) && len(s) < maxFileString {
				return string(s)
			}
		}
		if err != nil {
			return "" // io.EOF: the whole file was read
		}
	}
}
