package collector

// resolverFiles are the files glibc's resolver reads besides the NSS
// configuration, each with the functions that read it: host.conf when it
// first looks a host up (its "multi on" and the like), gai.conf when
// getaddrinfo sorts addresses. /etc/hosts and /etc/resolv.conf are the
// container runtime's: it writes them for each container.
var resolverFiles = []struct {
	path  string
	funcs []string
}{
	{"/etc/host.conf", []string{"getaddrinfo", "gethostbyname", "gethostbyname_r", "gethostbyname2", "gethostbyname2_r", "gethostbyaddr", "gethostbyaddr_r", "gethostent", "gethostent_r"}},
	{"/etc/gai.conf", []string{"getaddrinfo"}},
}

// ruleResolver: glibc's resolver reads /etc/host.conf the first time a
// program looks a host name or address up, and getaddrinfo reads
// /etc/gai.conf to order the addresses it returns (IPv4 before IPv6 on a
// root that says so). Evidence: glibc's libc.so.6 in a closure and an
// object importing one of the functions. Added: the files the root has.
// libcurl and libldap look a host up as they start (libldap its own
// name), so curl --version reads host.conf.
func ruleResolver(c *collection) error {
	if c.glibc() == nil {
		return nil
	}
	for _, f := range resolverFiles {
		objs := c.importers(f.funcs...)
		if len(objs) == 0 {
			continue
		}
		if st, err := c.root.Stat(f.path); err != nil || !st.Mode().IsRegular() {
			continue
		}
		why := Reason{Rule: RuleResolver, Requester: describe(objs), Evidence: evidence(objs, f.funcs)}
		if err := c.addPath(f.path, why, true); err != nil {
			return err
		}
	}
	return nil
}
