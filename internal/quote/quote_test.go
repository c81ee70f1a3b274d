package quote

import (
	"strconv"
	"testing"
)

// Names that could forge a line, drive a terminal or are not UTF-8 are
// quoted, losslessly, and so is one that starts with '"'; plain names
// (spaces, quotes inside and non-ASCII letters included) are not.
func TestNameQuotesOnlyWhatCouldForgeOrLose(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/usr/lib/libc.so.6", "/usr/lib/libc.so.6"},
		{"/srv/a b", "/srv/a b"},
		{"/srv/café", "/srv/café"},
		{`/srv/"q"`, `/srv/"q"`},
		{`/srv/back\slash`, `/srv/back\slash`},
		{"/srv/a\nfile /etc/shadow", `"/srv/a\nfile /etc/shadow"`},
		{"/srv/\x1b[31mred", `"/srv/\x1b[31mred"`},
		{"/srv/caf\xe9", `"/srv/caf\xe9"`},
		{"/srv/tab\there", `"/srv/tab\there"`},
		{`"starts with a quote`, `"\"starts with a quote"`},
		{"/srv/\u202eevil", `"/srv/\u202eevil"`}, // a bidi override
	} {
		got := Name(tc.in)
		if got != tc.want {
			t.Errorf("Name(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if Needed(tc.in) {
			back, err := strconv.Unquote(got)
			if err != nil || back != tc.in {
				t.Errorf("Name(%q) = %s does not unquote to the name (%q, %v)", tc.in, got, back, err)
			}
		}
	}
}

// Words quotes the unsafe words of a message, and only those.
func TestWordsQuotesUnsafeWordsOnly(t *testing.T) {
	got := Words("open /srv/\x1b[2J: bad \"flag\"\nvalue")
	want := `open "/srv/\x1b[2J:" bad "flag" value`
	if got != want {
		t.Errorf("Words = %s, want %s", got, want)
	}
}
