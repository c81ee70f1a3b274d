package elfscan

import (
	"fmt"
	"strings"
)

// prefix is what every error elfscan returns starts with, as archive/tar's
// errors start with "archive/tar: ".
const prefix = "elfscan: "

// prefixed returns err with the package's prefix, once: errors still
// match errors.Is and errors.As through it.
func prefixed(err error) error {
	if err == nil || strings.HasPrefix(err.Error(), prefix) {
		return err
	}
	return fmt.Errorf("%s%w", prefix, err)
}
