//go:build linux && (amd64 || arm64)

package trace

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sandboxEnv carries the Sandbox, as JSON, from Run to the helper, which
// removes it from the program's environment.
const sandboxEnv = "_FROMSCRATCH_TRACE_SANDBOX"

// sandboxDirEnv carries Options.Dir, a directory inside the sandbox that
// the helper enters once there.
const sandboxDirEnv = "_FROMSCRATCH_TRACE_DIR"

// sandboxFlags are the namespaces of an isolated run.
const sandboxFlags = unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC

// devices are bound from the host's /dev into an isolated run's, as runc
// creates them.
var devices = [...]string{"null", "zero", "full", "random", "urandom", "tty"}

// stepError is a failed step of the sandbox's setup in the helper.
type stepError struct {
	step  string
	errno syscall.Errno
}

func step(name string, err error) error {
	if err == nil {
		return nil
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		errno = unix.EINVAL
	}
	return &stepError{name, errno}
}

func (e *stepError) Error() string { return e.step + ": " + e.errno.Error() }

// enter sets the sandbox up in the helper and makes its root the
// process's root, then enters dir and takes the credentials. It runs
// before the seccomp filter, so that none of it is traced.
func (s *Sandbox) enter(dir string) error {
	if s.Isolate {
		if err := s.isolate(); err != nil {
			return err
		}
	} else {
		if err := step("chroot "+s.Root, unix.Chroot(s.Root)); err != nil {
			return err
		}
	}
	if dir == "" {
		dir = "/"
	}
	if err := step("chdir "+dir, unix.Chdir(dir)); err != nil {
		return err
	}
	groups := make([]int, len(s.Groups))
	for i, g := range s.Groups {
		groups[i] = int(g)
	}
	// The raw calls, on this thread only: the helper is about to exec,
	// and its other threads never run Go code again.
	if err := step("setgroups", setgroups(groups)); err != nil {
		return err
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(s.GID), uintptr(s.GID), uintptr(s.GID)); e != 0 {
		return step("setgid", e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(s.UID), uintptr(s.UID), uintptr(s.UID)); e != 0 {
		return step("setuid", e)
	}
	return nil
}

func setgroups(groups []int) error {
	var p uintptr
	if len(groups) > 0 {
		g := make([]uint32, len(groups))
		for i, v := range groups {
			g[i] = uint32(v)
		}
		p = uintptr(unsafe.Pointer(&g[0]))
	}
	_, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(groups)), p, 0)
	if e != 0 {
		return e
	}
	return nil
}

// isolate builds the run's file system in its new mount namespace and
// pivots into it. Nothing it mounts is seen outside the namespace, and
// everything goes with it.
func (s *Sandbox) isolate() error {
	if err := step("mount --make-rprivate /", unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "")); err != nil {
		return err
	}
	root := s.Root
	if s.Overlay {
		// The tmpfs is mounted on Root itself, which is then reached
		// through a descriptor opened before: no directory outside
		// Root is needed, and none is touched. A mount on "/" would
		// not be seen by this process's own lookups: for the host's
		// root, the tmpfs hides /tmp instead.
		fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY, 0)
		if err != nil {
			return step("open "+root, err)
		}
		scratch := root
		if filepath.Clean(root) == "/" {
			scratch = "/tmp"
		}
		if err := step("mount tmpfs "+scratch, unix.Mount("tmpfs", scratch, "tmpfs", 0, "mode=0755")); err != nil {
			return err
		}
		for _, d := range []string{"upper", "work", "root"} {
			if err := step("mkdir "+scratch+"/"+d, unix.Mkdir(scratch+"/"+d, 0o755)); err != nil {
				return err
			}
		}
		data := "lowerdir=/proc/self/fd/" + strconv.Itoa(fd) + ",upperdir=" + scratch + "/upper,workdir=" + scratch + "/work"
		if err := step("mount overlay "+root, unix.Mount("overlay", scratch+"/root", "overlay", 0, data)); err != nil {
			return err
		}
		unix.Close(fd)
		root = scratch + "/root"
	} else if err := step("mount --bind "+root, unix.Mount(root, root, "", unix.MS_BIND|unix.MS_REC, "")); err != nil {
		return err
	}
	if err := s.mountKernel(root); err != nil {
		return err
	}
	if s.Hostname != "" {
		if err := step("sethostname", unix.Sethostname([]byte(s.Hostname))); err != nil {
			return err
		}
	}
	if err := loopbackUp(); err != nil {
		return err
	}
	// pivot_root(".", ".") stacks the old root on the new one; the
	// detach removes it (what runc does, without a directory for it).
	if err := step("chdir "+root, unix.Chdir(root)); err != nil {
		return err
	}
	if err := step("pivot_root "+root, unix.PivotRoot(".", ".")); err != nil {
		return err
	}
	if err := step("umount old root", unix.Unmount(".", unix.MNT_DETACH)); err != nil {
		return err
	}
	if err := step("chdir /", unix.Chdir("/")); err != nil {
		return err
	}
	return dropCapabilities()
}

// keptCapabilities are Docker's default capabilities, less CAP_MKNOD: with
// no device cgroup, a device node would reach the host's disks.
var keptCapabilities = map[int]bool{
	unix.CAP_CHOWN: true, unix.CAP_DAC_OVERRIDE: true, unix.CAP_FSETID: true, unix.CAP_FOWNER: true,
	unix.CAP_NET_RAW: true, unix.CAP_SETGID: true, unix.CAP_SETUID: true, unix.CAP_SETFCAP: true,
	unix.CAP_SETPCAP: true, unix.CAP_NET_BIND_SERVICE: true, unix.CAP_SYS_CHROOT: true,
	unix.CAP_KILL: true, unix.CAP_AUDIT_WRITE: true,
}

// dropCapabilities removes every other capability from the bounding set,
// which is all a process of root gets at its exec: no mount, no module,
// no raw device, no reboot from inside the sandbox.
func dropCapabilities() error {
	for c := 0; c < 64; c++ {
		if keptCapabilities[c] {
			continue
		}
		err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0)
		if err == unix.EINVAL {
			return nil // past the kernel's last capability
		}
		if err != nil {
			return step("drop capability "+strconv.Itoa(c), err)
		}
	}
	return nil
}

// mountKernel mounts /proc, /sys and /dev under root.
func (s *Sandbox) mountKernel(root string) error {
	mkdir := func(p string, mode uint32) error {
		if err := unix.Mkdir(p, mode); err != nil && err != unix.EEXIST {
			return step("mkdir "+p, err)
		}
		return nil
	}
	mounts := []struct {
		dir, fstype string
		flags       uintptr
		data        string
	}{
		{"/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
		{"/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_RDONLY, ""},
		{"/dev", "tmpfs", unix.MS_NOSUID | unix.MS_STRICTATIME, "mode=755,size=65536k"},
		{"/dev/shm", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "mode=1777,size=65536k"},
	}
	for _, m := range mounts {
		p := root + m.dir
		if err := mkdir(p, 0o755); err != nil {
			return err
		}
		if err := step("mount "+m.dir, unix.Mount(m.fstype, p, m.fstype, m.flags, m.data)); err != nil {
			return err
		}
	}
	for _, d := range devices {
		p := root + "/dev/" + d
		fd, err := unix.Open(p, unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o666)
		if err != nil {
			return step("create "+p, err)
		}
		unix.Close(fd)
		if err := step("mount --bind /dev/"+d, unix.Mount("/dev/"+d, p, "", unix.MS_BIND, "")); err != nil {
			return err
		}
	}
	for name, target := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		if err := step("symlink /dev/"+name, unix.Symlink(target, root+"/dev/"+name)); err != nil {
			return err
		}
	}
	return nil
}

// loopbackUp brings up lo, the one interface of the new network
// namespace, as container runtimes do: servers listen on 127.0.0.1.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return step("socket", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return step("ifreq lo", err)
	}
	ifr.SetUint16(unix.IFF_UP | unix.IFF_LOOPBACK | unix.IFF_RUNNING)
	return step("ip link set lo up", unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr))
}

// encodeSandbox is the value of sandboxEnv for s.
func encodeSandbox(s *Sandbox) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}

// helperSandbox reads and removes sandboxEnv from env.
func helperSandbox(env []string) (*Sandbox, []string, error) {
	for i, kv := range env {
		if v, ok := strings.CutPrefix(kv, sandboxEnv+"="); ok {
			env = append(env[:i:i], env[i+1:]...)
			var s Sandbox
			if err := json.Unmarshal([]byte(v), &s); err != nil {
				return nil, env, err
			}
			return &s, env, nil
		}
	}
	return nil, env, nil
}

// lookInRoot finds prog, a name without a slash, on the PATH of env
// inside root, as a shell in the sandbox would.
func lookInRoot(root, prog string, env []string) (string, error) {
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, prog)
		if fi, err := os.Stat(filepath.Join(root, p)); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", &os.PathError{Op: "look up", Path: prog, Err: errors.New("not found on the sandbox's PATH")}
}
