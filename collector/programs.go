package collector

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"syscall"

	"github.com/fromscratch/fromscratch/elfscan"
)

// maxScriptDepth is how many "#!" interpreters may lead to one another, as
// the kernel's binfmt_script allows.
const maxScriptDepth = 4

// shebangSize is how much of a script the kernel reads for its "#!" line
// (BINPRM_BUF_SIZE).
const shebangSize = 256

// addPrograms adds the roots given to Collect: ELF files with their
// closures, scripts with their interpreters'.
func (c *collection) addPrograms(roots []string) error {
	var elfs []string
	reasons := map[string][]Reason{}
	for _, r := range roots {
		p := elfscan.Clean(r)
		c.plan.Programs = append(c.plan.Programs, p)
		if err := c.program(p, Reason{Rule: RuleProgram}, 0, &elfs, reasons); err != nil {
			return err
		}
	}
	for _, p := range elfs {
		c.programELF[p] = true
	}
	c.plan.Executables = elfs
	return c.resolve(elfs, reasons, nil)
}

// program sorts the program p: an ELF file is queued in elfs for the
// resolver; a script is added with its interpreter, recursively.
func (c *collection) program(p string, reason Reason, depth int, elfs *[]string, reasons map[string][]Reason) error {
	head, err := c.readHead(p)
	if err != nil {
		return fmt.Errorf("program %s: %w", p, err)
	}
	switch {
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		if _, ok := reasons[p]; !ok {
			*elfs = append(*elfs, p)
		}
		if !slices.Contains(reasons[p], reason) {
			reasons[p] = append(reasons[p], reason)
		}
		return nil
	case !bytes.HasPrefix(head, []byte("#!")):
		return fmt.Errorf("program %s: neither an ELF file nor a script starting with #!", p)
	case depth >= maxScriptDepth:
		return fmt.Errorf("program %s: more than %d levels of script interpreters", p, maxScriptDepth)
	}
	interp, arg := parseShebang(head)
	if interp == "" {
		return fmt.Errorf("program %s: no interpreter after #!", p)
	}
	interp = elfscan.Clean(interp)
	if err := c.addPath(p, Reason{Rule: RuleScript, Requester: interp, Evidence: reason.String()}, true); err != nil {
		return fmt.Errorf("program %s: %w", p, err)
	}
	why := Reason{Rule: RuleScriptInterpreter, Requester: p}
	if path.Base(interp) != "env" || arg == "" {
		return c.program(interp, why, depth+1, elfs, reasons)
	}
	// #!/usr/bin/env NAME: env itself, and NAME found on the path.
	name := envCommand(arg)
	if name == "" {
		return fmt.Errorf("program %s: #!%s %s: no command for env", p, interp, arg)
	}
	found, err := c.lookPath(name)
	if err != nil {
		return fmt.Errorf("program %s: #!%s %s: %w", p, interp, arg, err)
	}
	if err := c.program(interp, why, depth+1, elfs, reasons); err != nil {
		return err
	}
	return c.program(found, Reason{Rule: RuleEnvCommand, Requester: p, Evidence: interp}, depth+1, elfs, reasons)
}

// readHead reads the start of the regular file p.
func (c *collection) readHead(p string) ([]byte, error) {
	if st, err := c.root.Stat(p); err == nil && st.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: p, Err: syscall.EISDIR}
	}
	f, err := c.root.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, shebangSize)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	return buf[:n], nil
}

// parseShebang splits a "#!" line as the kernel does: the interpreter,
// then everything after it as one argument.
func parseShebang(head []byte) (interp, arg string) {
	line := string(head[2:])
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = strings.Trim(line, " \t\r")
	interp, arg, _ = strings.Cut(strings.ReplaceAll(line, "\t", " "), " ")
	return interp, strings.Trim(arg, " \t")
}

// envCommand is the command that env runs given the single argument arg of
// a "#!" line: arg itself (spaces included: env then fails on a real
// system too), or with -S the first word that is neither an option nor an
// assignment.
func envCommand(arg string) string {
	if !strings.HasPrefix(arg, "-") {
		return arg
	}
	words := strings.Fields(arg)
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "-S" || w == "--split-string":
			continue
		case strings.HasPrefix(w, "-S"):
			w = w[2:]
		case w == "-u" || w == "-C" || w == "--unset" || w == "--chdir":
			i++ // takes an argument
			continue
		case strings.HasPrefix(w, "-"):
			continue
		}
		if strings.Contains(w, "=") {
			continue
		}
		return w
	}
	return ""
}

// lookPath finds the executable name on the path option, inside the root.
func (c *collection) lookPath(name string) (string, error) {
	if strings.Contains(name, "/") {
		return elfscan.Clean(name), nil
	}
	for _, dir := range c.cfg.path {
		p := path.Join(elfscan.Clean(dir), name)
		if st, err := c.root.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in %s inside the root", name, strings.Join(c.cfg.path, ":"))
}
