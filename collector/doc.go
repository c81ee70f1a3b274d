// Package collector turns programs into a Plan: the sorted, deterministic
// list of every entry of a root filesystem in which they run, each with
// the reasons it is there. Everything that writes reads only the Plan:
// WriteDir makes a directory tree, and the image package makes a layer and
// an image from the same Plan, so the rootfs and the image can never
// disagree.
//
//	plan, err := collector.Collect([]string{"/usr/bin/curl"},
//		collector.WithRoot(root), collector.WithTZData())
//	err = collector.WriteDir(plan, "rootfs")
//
// # Paths
//
// Collect resolves the programs with an elfscan.Resolver (options pass
// through WithResolver) and puts every object at the path the loader
// opens, with the symlinks met on the way kept as symlinks at their own
// places and their targets as written: usrmerge links (/lib → usr/lib),
// SONAME links (libbpf.so.1 → libbpf.so.1.1.2), the interpreter link. So
// the image holds the same paths as the root, and /proc/self/exe, re-exec
// and programs that read versions from library names keep working. Files
// that are one inode in the root are one file and hard links in the plan
// (the first path in sort order is the file). Every parent directory is
// an entry (0755 unless copied from a tree); owners are 0:0; setuid and
// setgid bits are dropped unless WithKeepSetuid. A symlink that does not
// lead to an entry of the plan, or climbs above the root, is dropped with
// a warning. All files are read through the elfscan.Root: nothing outside
// it is read.
//
// A program that starts with "#!" brings its interpreter (up to four
// levels), and "#!/usr/bin/env NAME" brings env and NAME found on
// WithPath (DefaultPath) inside the root.
//
// # Rules
//
// The loader does not show what a program opens at run time. Small rules
// add it, each only on evidence found in the closures, so that a static
// program's rootfs is the program alone and a dynamic hello world's is
// the program, its interpreter and libc. WithNoAuto turns them off.
//
//	rule          evidence                                       adds
//	nss           glibc's libc.so.6, and an object importing a   /etc/nsswitch.conf (the root's, or
//	              lookup of an NSS database (getpwuid,           passwd/group/hosts… from files), the
//	              getaddrinfo, getservbyname…)                   libnss_SERVICE.so.2 of the services it
//	                                                             names for the databases used, unless
//	                                                             built into libc (files and dns since
//	                                                             glibc 2.34: libc exports _nss_files_*),
//	                                                             with closures; /etc/services and the
//	                                                             like for "files"
//	resolver      glibc, and an object importing getaddrinfo or  the root's /etc/host.conf, and
//	              gethostbyname…                                 /etc/gai.conf for getaddrinfo
//	users         an object importing a passwd or group lookup   /etc/passwd and /etc/group with root,
//	                                                             nobody (65534), nonroot (65532), unless
//	                                                             given with WithAdd; their homes that the
//	                                                             root has, empty (/root, 0700)
//	package-data  a program (or library) naming a directory that what its Debian package, or one of the
//	              its package (or a same-source dependency)      same source it depends on (a library:
//	                                                             or recommends), lists there
//	              lists                                          (a library: only the dependency's), with
//	                                                             closures: /usr/share/vim, git-core,
//	                                                             perl-base, libsasl2's plugins
//	start-dirs    an interpreter of startDirs (python3.*,        the directories it looks at as it starts
//	              libtcl8.*)                                     (site directories, package path), empty
//	                                                             but for Python's .pth files and the
//	                                                             modules their import lines name
//	tmp           an object importing mkstemp, tmpfile, mkdtemp… /tmp, mode 1777
//	gconv         glibc, and an object importing iconv_open      the gconv directory compiled into libc:
//	                                                             gconv-modules(.d, .cache) and the modules
//	                                                             of DefaultCharsets or WithCharsets, with
//	                                                             closures (libJIS.so…)
//	libgcc_s      glibc, and pthread_cancel, pthread_exit,       libgcc_s.so.1, which glibc dlopens to
//	              thrd_exit or backtrace imported; or            unwind
//	              __cxa_throw/_Unwind_* imported
//	certificates  a TLS library (libssl, libgnutls, libnss3,     the root's CA bundle at its path and
//	              libmbedtls, libwolfssl)                        SSL_CERT_FILE in Plan.Env; with libcrypto,
//	                                                             openssl.cnf, cert.pem and the certs link
//	                                                             of its compiled-in OPENSSLDIR
//
// Objects that import dlopen get a warning naming them. What no rule can
// know — Python's or Perl's modules, libmagic's database, plugins — comes
// from WithAdd, WithDlopen or WithTraced (the paths a traced run used).
// A traced path that may hold credentials (secretFiles: /etc/shadow, SSH
// and GnuPG private keys, registry, cloud and kube credentials, .netrc…)
// or lies in the home directory of the user running the collector is left
// out with a warning naming it, unless WithAdd names it.
// WithTZData adds the zoneinfo tree.
//
// Plan.Warnings are values: each has a WarningKind (WarnLeftOut,
// WarnMissingFile, WarnDlopen…) and the path it is about, so a caller
// keeps the kinds it acts on (Plan.WarningsOf) without matching text;
// String is the line the CLI prints.
package collector
