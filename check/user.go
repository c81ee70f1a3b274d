package check

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// lookupUser resolves "USER[:GROUP]" as a container runtime does: names in
// root's /etc/passwd and /etc/group, numbers as they are; a user's group
// is its passwd entry's when no GROUP is given.
func lookupUser(root, spec string) (uid, gid uint32, err error) {
	user, group, hasGroup := strings.Cut(spec, ":")
	u, ok := number(user)
	if ok {
		uid = u
		if entry := findEntry(root, "/etc/passwd", 2, user); entry != nil {
			gid, _ = number(entry[3])
		}
	} else {
		entry := findEntry(root, "/etc/passwd", 0, user)
		if entry == nil {
			return 0, 0, fmt.Errorf("check: user %q: not in the image's /etc/passwd", user)
		}
		uid, _ = number(entry[2])
		gid, _ = number(entry[3])
	}
	if !hasGroup {
		return uid, gid, nil
	}
	if g, ok := number(group); ok {
		return uid, g, nil
	}
	entry := findEntry(root, "/etc/group", 0, group)
	if entry == nil {
		return 0, 0, fmt.Errorf("check: group %q: not in the image's /etc/group", group)
	}
	gid, _ = number(entry[2])
	return uid, gid, nil
}

func number(s string) (uint32, bool) {
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err == nil
}

// findEntry returns the fields of the first line of file (in root) whose
// field col is value.
func findEntry(root, file string, col int, value string) []string {
	f, err := os.Open(filepath.Join(root, file))
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) >= 4 && fields[col] == value {
			return fields
		}
	}
	return nil
}
