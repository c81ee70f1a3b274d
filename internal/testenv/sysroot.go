package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sysrootPackages are the Debian packages that Arm64Sysroot and Amd64Sysroot
// unpack: coreutils, shells, text tools, openssl and curl, and every library
// their programs load (curl alone loads 30).
var sysrootPackages = []string{
	"libc6", "libgcc-s1", "gcc-12-base",
	"coreutils", "libacl1", "libattr1", "libgmp10", "libselinux1", "libpcre2-8-0",
	"bash", "libtinfo6", "dash", "grep", "sed", "gzip", "tar", "findutils",
	"libssl3", "openssl", "zlib1g", "libzstd1", "liblzma5", "libbz2-1.0",
	"curl", "libcurl4", "libbrotli1", "libgssapi-krb5-2", "libkrb5-3", "libk5crypto3",
	"libkrb5support0", "libcom-err2", "libkeyutils1", "libidn2-0", "libunistring2",
	"libldap-2.5-0", "libsasl2-2", "libsasl2-modules-db", "libdb5.3", "libnghttp2-14",
	"libpsl5", "librtmp1", "libgnutls30", "libhogweed6", "libnettle8", "libp11-kit0",
	"libffi8", "libtasn1-6", "libssh2-1",
}

// SysrootPrograms returns dynamic programs in a sysroot of Arm64Sysroot's
// packages all of whose libraries are in it too: a new slice each call.
func SysrootPrograms() []string {
	return []string{
		"/bin/bash", "/bin/dash", "/bin/grep", "/bin/gzip", "/bin/ls", "/bin/sed", "/bin/tar",
		"/usr/bin/curl", "/usr/bin/env", "/usr/bin/find", "/usr/bin/openssl",
	}
}

// Arm64Sysroot returns a directory holding Debian bookworm's arm64
// packages (coreutils, shells, text tools, openssl, curl and their
// libraries), unpacked with dpkg -x: a root for --root tests and, with
// EnableQemuArm64, for chroots. Like every Debian sysroot it is not usrmerged
// (/bin, /lib are real directories) and has no ld.so.cache. It is shared by
// all tests: copy it (CopyTree) before changing it.
func Arm64Sysroot(t testing.TB) string {
	t.Helper()
	return DebianSysroot(t, "arm64", sysrootPackages...)
}

// Amd64Sysroot is Arm64Sysroot for amd64: the same programs, runnable with
// RunChroot without qemu.
func Amd64Sysroot(t testing.TB) string {
	t.Helper()
	return DebianSysroot(t, "amd64", sysrootPackages...)
}

// DebianSysroot returns a directory with the Debian packages pkgs of
// architecture arch downloaded with apt-get download and unpacked with dpkg
// -x (no maintainer scripts run; dependencies are not added). It is built
// once per package list in CacheDir, under a lock, so parallel test binaries
// share it; it must not be changed. A foreign arch is added to dpkg first
// (needs root).
func DebianSysroot(t testing.TB, arch string, pkgs ...string) string {
	t.Helper()
	NeedCommand(t, "apt-get", "dpkg", "dpkg-deb")
	sorted := slices.Sorted(slices.Values(pkgs))
	sum := sha256.Sum256([]byte("v1\x00" + arch + "\x00" + strings.Join(sorted, "\x00")))
	name := "sysroot-" + arch + "-" + hex.EncodeToString(sum[:8])
	return cachedDir(t, name, func(root string) {
		addDpkgArch(t, arch)
		debs := t.TempDir()
		args := []string{"download", "-q"}
		if os.Geteuid() == 0 {
			// Or apt warns that its _apt user cannot write to debs.
			args = append(args, "-o", "APT::Sandbox::User=root")
		}
		for _, p := range sorted {
			args = append(args, p+":"+arch)
		}
		download := func() ([]byte, error) {
			cmd := exec.Command("apt-get", args...)
			cmd.Dir = debs
			return cmd.CombinedOutput()
		}
		out, err := download()
		if err != nil && os.Geteuid() == 0 {
			// The package lists may be missing or stale.
			aptUpdate(t)
			out, err = download()
		}
		if err != nil {
			Unavailable(t, "apt-get download for %s sysroot: %v\n%s", arch, err, out)
		}
		files, err := filepath.Glob(filepath.Join(debs, "*.deb"))
		if err != nil || len(files) != len(sorted) {
			t.Fatalf("apt-get download gave %d .deb files for %d packages (%v)", len(files), len(sorted), err)
		}
		for _, deb := range files {
			if out, err := exec.Command("dpkg-deb", "-x", deb, root).CombinedOutput(); err != nil {
				t.Fatalf("dpkg-deb -x %s: %v\n%s", deb, err, out)
			}
		}
	})
}

// Amd64Minbase returns a Debian bookworm amd64 system made by debootstrap
// --variant=minbase (30 s to 3 min, 200 MB, once per cache): usrmerged, with an
// ld.so.cache, /etc/passwd, nsswitch.conf and dpkg's database, as a real
// system has. Shared like Arm64Sysroot: copy it before changing it. Needs
// root.
func Amd64Minbase(t testing.TB) string {
	t.Helper()
	NeedRoot(t)
	NeedCommand(t, "debootstrap")
	mirror := debianMirror()
	sum := sha256.Sum256([]byte("v1\x00" + mirror))
	return cachedDir(t, "minbase-amd64-"+hex.EncodeToString(sum[:8]), func(root string) {
		// Keep the downloaded packages: downloading takes 20 s to 90 s.
		debs := filepath.Join(CacheDir(t), "debootstrap-debs")
		if err := os.MkdirAll(debs, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("debootstrap", "--arch=amd64", "--variant=minbase", "--cache-dir="+debs,
			"bookworm", root, mirror)
		if out, err := cmd.CombinedOutput(); err != nil {
			Unavailable(t, "debootstrap: %v\n%s", err, out)
		}
	})
}

// debianMirror returns the Debian mirror that apt uses here.
func debianMirror() string {
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*")
	for _, file := range append([]string{"/etc/apt/sources.list"}, files...) {
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			for _, field := range strings.Fields(line) {
				if strings.HasPrefix(field, "#") {
					break
				}
				if strings.HasPrefix(field, "http") && strings.HasSuffix(strings.TrimSuffix(field, "/"), "/debian") {
					return field
				}
			}
		}
	}
	return "http://deb.debian.org/debian"
}

// cachedDir returns CacheDir/name, calling build on an empty directory to
// make it the first time. Test binaries running in parallel wait for the one
// that builds it; a failed build leaves nothing behind.
func cachedDir(t testing.TB, name string, build func(dir string)) string {
	t.Helper()
	final := filepath.Join(CacheDir(t), name)
	if _, err := os.Stat(final); err == nil {
		return final
	}
	unlock := lockFile(t, name)
	defer unlock()
	if _, err := os.Stat(final); err == nil {
		return final
	}
	start := time.Now()
	work, err := os.MkdirTemp(CacheDir(t), name+".tmp-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	build(work) // on Fatal or Skip, the deferred calls clean up
	if err := os.Chmod(work, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(work, final); err != nil {
		t.Fatal(err)
	}
	t.Logf("made %s in %v", final, time.Since(start).Round(time.Millisecond))
	return final
}

// addDpkgArch makes apt and dpkg know arch, adding it as a foreign
// architecture if needed.
func addDpkgArch(t testing.TB, arch string) {
	t.Helper()
	native, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		t.Fatalf("dpkg --print-architecture: %v", err)
	}
	if strings.TrimSpace(string(native)) == arch {
		return
	}
	foreign, err := exec.Command("dpkg", "--print-foreign-architectures").Output()
	if err != nil {
		t.Fatalf("dpkg --print-foreign-architectures: %v", err)
	}
	if slices.Contains(strings.Fields(string(foreign)), arch) {
		return
	}
	if os.Geteuid() != 0 {
		Unavailable(t, "dpkg architecture %s (as root: dpkg --add-architecture %s; apt-get update)", arch, arch)
	}
	if out, err := exec.Command("dpkg", "--add-architecture", arch).CombinedOutput(); err != nil {
		t.Fatalf("dpkg --add-architecture %s: %v\n%s", arch, err, out)
	}
	aptUpdate(t)
}

// aptUpdate runs apt-get update, one test binary at a time.
func aptUpdate(t testing.TB) {
	t.Helper()
	unlock := lockFile(t, "apt-update")
	defer unlock()
	if out, err := exec.Command("apt-get", "update", "-q").CombinedOutput(); err != nil {
		Unavailable(t, "apt-get update: %v\n%s", err, out)
	}
}

// CacheDir returns the directory, created if needed, where tests keep what
// is slow to make and the same for every test binary of a run (and later
// runs): $FROMSCRATCH_TEST_CACHE, or fromscratch-test-cache in the system's
// temporary directory.
func CacheDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(EnvCache)
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "fromscratch-test-cache")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// lockFile takes an exclusive lock shared by all test binaries, named name
// in CacheDir, waiting for it; call the returned function to release it.
func lockFile(t testing.TB, name string) (unlock func()) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(CacheDir(t), name+".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("locking %s: %v", f.Name(), err)
	}
	return func() { f.Close() } // closing releases the lock
}

// HostGlibc copies this machine's libc.so.6 and glibc loader into root as
// Debian lays them out (/lib/x86_64-linux-gnu, and the /lib64 link that
// PT_INTERP names): the smallest root in which a dynamic C program built
// here runs.
func HostGlibc(t testing.TB, root string) {
	t.Helper()
	for _, lib := range []string{"libc.so.6", "ld-linux-x86-64.so.2"} {
		real, err := filepath.EvalSymlinks("/lib/x86_64-linux-gnu/" + lib)
		if err != nil {
			Unavailable(t, "the host's glibc: %v", err)
			return
		}
		CopyFile(t, real, filepath.Join(root, "lib/x86_64-linux-gnu", lib))
	}
	if err := os.MkdirAll(filepath.Join(root, "lib64"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", filepath.Join(root, "lib64/ld-linux-x86-64.so.2")); err != nil {
		t.Fatal(err)
	}
}
