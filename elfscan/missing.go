package elfscan

import "strings"

// String is the line a missing library is reported with: the name, the
// chain of requesters up to the root, and why it was not loaded:
// "libbar.so.2 (needed by libfoo.so.1 ← /usr/bin/app): not found".
func (m Missing) String() string {
	s := m.Name + " (needed by " + ChainText(m.By) + "): "
	if m.Reason == "" {
		return s + "not found"
	}
	return s + m.Path + ": " + m.Reason
}

// ChainText renders o.Chain() as "libfoo.so.1 ← /usr/bin/app": each object
// by the name it was loaded as, the root by its path.
func ChainText(o *Object) string {
	var parts []string
	for _, x := range o.Chain() {
		if x.Parent == nil || x.Name == "" {
			parts = append(parts, x.Path)
		} else {
			parts = append(parts, x.Name)
		}
	}
	return strings.Join(parts, " ← ")
}
