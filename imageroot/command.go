package imageroot

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// defaultPath is the PATH a runtime gives a container whose config sets
// none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Command returns what the image runs: its config's Entrypoint and Cmd,
// with the first word, when it has no slash, looked up on the config's
// PATH in the image, as the runtime's exec would.
func (r *Root) Command() ([]string, error) {
	c := r.config.Config
	argv := append(append([]string{}, c.Entrypoint...), c.Cmd...)
	if len(argv) == 0 {
		return nil, errors.New("imageroot: the image's config has no Entrypoint nor Cmd")
	}
	prog, err := r.LookPath(argv[0])
	if err != nil {
		return nil, err
	}
	argv[0] = prog
	return argv, nil
}

// LookPath finds the program name in the image: a name with a slash is
// taken as it is (relative to the config's WorkingDir), one without is
// searched on the config's PATH for an executable regular file.
func (r *Root) LookPath(name string) (string, error) {
	if strings.Contains(name, "/") {
		if !path.IsAbs(name) {
			name = path.Join("/", r.config.Config.WorkingDir, name)
		}
		return path.Clean(name), nil
	}
	pathVar := defaultPath
	for _, kv := range r.config.Config.Env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathVar = v
		}
	}
	for _, dir := range strings.Split(pathVar, ":") {
		if dir == "" || !path.IsAbs(dir) {
			continue
		}
		p := path.Join(dir, name)
		st, err := r.root.Stat(p)
		if err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("imageroot: %s: not found on the image's PATH (%s)", name, pathVar)
}
