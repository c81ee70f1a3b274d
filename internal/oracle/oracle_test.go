package oracle

import (
	"testing"

	"github.com/fromscratch/fromscratch/elfscan"
)

func TestRefusesOtherInterpreters(t *testing.T) {
	// /bin/sh is no loader: a file naming it as PT_INTERP must never run.
	if _, err := checkLoader(elfscan.HostRoot(), "/bin/sh"); err == nil {
		t.Error("checkLoader accepted /bin/sh")
	}
}
