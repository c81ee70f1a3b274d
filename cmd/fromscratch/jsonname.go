package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/fromscratch/fromscratch/collector"
)

// jsonName is a file name in --json output. encoding/json turns bytes that
// are not UTF-8 into U+FFFD, losing the name; a jsonName writes each such
// byte b as the lone surrogate \udcXX instead (XX = b), the convention of
// Python's surrogateescape: os.fsencode(json.loads(...)) gives the bytes
// back. A name that is UTF-8 is written as encoding/json writes it.
type jsonName string

// MarshalJSON writes the name losslessly (see jsonName).
func (n jsonName) MarshalJSON() ([]byte, error) {
	s := string(n)
	if utf8.ValidString(s) {
		return json.Marshal(s)
	}
	var b strings.Builder
	b.WriteByte('"')
	for len(s) > 0 {
		valid := 0
		for valid < len(s) {
			r, size := utf8.DecodeRuneInString(s[valid:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			valid += size
		}
		if valid > 0 {
			q, err := json.Marshal(s[:valid])
			if err != nil {
				return nil, err
			}
			b.Write(q[1 : len(q)-1])
			s = s[valid:]
			continue
		}
		fmt.Fprintf(&b, `\udc%02x`, s[0])
		s = s[1:]
	}
	b.WriteByte('"')
	return []byte(b.String()), nil
}

// jsonNames converts a list of names.
func jsonNames(list []string) []jsonName {
	out := make([]jsonName, len(list))
	for i, s := range list {
		out[i] = jsonName(s)
	}
	return out
}

// jsonReason is a collector.Reason, as its MarshalJSON writes it, with the
// names in it written losslessly.
type jsonReason struct {
	Rule      collector.Rule `json:"rule"`
	Requester jsonName       `json:"requester,omitempty"`
	Evidence  jsonName       `json:"evidence,omitempty"`
	Text      jsonName       `json:"text"`
}

func jsonReasons(list []collector.Reason) []jsonReason {
	out := make([]jsonReason, len(list))
	for i, r := range list {
		out[i] = jsonReason{Rule: r.Rule, Requester: jsonName(r.Requester), Evidence: jsonName(r.Evidence), Text: jsonName(r.String())}
	}
	return out
}
