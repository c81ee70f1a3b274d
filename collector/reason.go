package collector

import (
	"encoding/json"
	"strings"
)

// A Rule names what put an entry into a plan: the loader's closure, one of
// the run-time rules, an option of the caller, a traced run.
type Rule string

// The rules. Each reads as the text of its reasons in ruleText.
const (
	RuleProgram           Rule = "program"            // a program given to Collect
	RuleScript            Rule = "script"             // a "#!" program, run by its interpreter
	RuleInterpreter       Rule = "interpreter"        // the ELF interpreter (ld.so) of a program
	RuleScriptInterpreter Rule = "script-interpreter" // the "#!" interpreter of a script
	RuleEnvCommand        Rule = "env-command"        // NAME of "#!/usr/bin/env NAME", found on the path
	RuleNeeded            Rule = "needed"             // DT_NEEDED, as the loader resolves it
	RuleLink              Rule = "link"               // a directory symlink on the way to another entry
	RuleAdd               Rule = "add"                // WithAdd
	RuleDlopen            Rule = "dlopen"             // WithDlopen
	RuleTmp               Rule = "tmp"                // WithTmp
	RuleUsers             Rule = "users"              // WithUsers, or NSS lookups of users and groups
	RuleNSSConfig         Rule = "nss-config"         // /etc/nsswitch.conf for NSS lookups
	RuleNSS               Rule = "nss"                // NSS modules and the files they read
	RuleResolver          Rule = "resolver"           // the resolver's host.conf and gai.conf
	RuleGconv             Rule = "gconv"              // iconv's gconv modules
	RuleLibgcc            Rule = "libgcc"             // libgcc_s.so.1, which glibc and C++ dlopen
	RuleCerts             Rule = "certs"              // CA certificates for TLS libraries
	RuleTZData            Rule = "tzdata"             // WithTZData
	RuleLdSoCache         Rule = "ld.so.cache"        // /etc/ld.so.cache, where only it finds a library
	RuleMuslPath          Rule = "musl-path"          // musl's /etc/ld-musl-ARCH.path, where only it finds a library
	RulePackageMetadata   Rule = "package-metadata"   // WithPackageMetadata
	RuleTrace             Rule = "trace"              // WithTraced: a path a traced run used
	RuleLocale            Rule = "locale"             // locales for setlocale, and WithLocales
	RuleConffiles         Rule = "conffiles"          // a Debian package's configuration and directories
	RulePackageData       Rule = "package-data"       // a Debian package's data in a directory its program names
	RuleStartDirs         Rule = "start-dirs"         // directories an interpreter looks at as it starts
	RuleAccounts          Rule = "accounts"           // the root's users and groups: owners, names asked for, homes
	RuleDlopenNote        Rule = "dlopen-note"        // a library a .note.dlopen note declares
	RuleCheck             Rule = "check"              // WithTraced from check.Fix: a path a checked run missed
)

// ruleText is how the reasons of each rule read: "{requester}" and
// "{evidence}" stand for the Reason's fields, and " ({evidence})" is left
// out when there is no evidence. A rule missing here reads as its name
// followed by its evidence.
var ruleText = map[Rule]string{
	RuleProgram:           "program",
	RuleScript:            "{evidence} (a script run by {requester})",
	RuleInterpreter:       "interpreter of {requester}",
	RuleScriptInterpreter: "interpreter of script {requester}",
	RuleEnvCommand:        "run by {evidence} for script {requester}",
	RuleNeeded:            "needed by {requester} ({evidence})",
	RuleLink:              "on the way to {requester}",
	RuleAdd:               "--add {requester}",
	RuleDlopen:            "--dlopen {evidence}",
	RuleTmp:               "temporary files ({evidence})",
	RuleUsers:             "{evidence}",
	RuleNSSConfig:         "NSS configuration ({evidence})",
	RuleNSS:               "NSS {evidence}",
	RuleResolver:          "resolver configuration ({evidence})",
	RuleGconv:             "{evidence}",
	RuleLibgcc:            "{evidence}",
	RuleCerts:             "CA certificates ({evidence})",
	RuleTZData:            "--tzdata ({evidence})",
	RuleLdSoCache:         "ld.so.cache: {evidence}",
	RuleMuslPath:          "musl path file: {evidence}",
	RulePackageMetadata:   "--package-metadata: {evidence}",
	RuleTrace:             "{evidence}",
	RuleLocale:            "locale {evidence}",
	RuleConffiles:         "{evidence}",
	RulePackageData:       "{evidence}",
	RuleStartDirs:         "{evidence}",
	RuleAccounts:          "{evidence}",
	RuleDlopenNote:        "{evidence}",
	RuleCheck:             "check: {evidence}",
}

// A Reason says why an entry is in a plan: the rule that added it, who
// asked for it (an object, a process, a script; empty where nobody did)
// and what the rule saw. String gives the text deps prints: "needed by
// libcurl.so.4 ← /usr/bin/curl (ld.so.cache)".
type Reason struct {
	Rule      Rule   `json:"rule"`
	Requester string `json:"requester,omitempty"`
	Evidence  string `json:"evidence,omitempty"`
}

// String is the reason as deps prints it, from its rule's template.
func (r Reason) String() string {
	t, ok := ruleText[r.Rule]
	if !ok {
		t = string(r.Rule) + " ({evidence})"
	}
	if r.Evidence == "" {
		t = strings.ReplaceAll(t, " ({evidence})", "")
	}
	// One pass, as strings.Replacer makes, without building one per
	// call: a plan's reasons are printed by the thousand.
	var b strings.Builder
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			break
		}
		b.WriteString(t[:i])
		switch rest := t[i:]; {
		case strings.HasPrefix(rest, "{requester}"):
			b.WriteString(r.Requester)
			t = rest[len("{requester}"):]
		case strings.HasPrefix(rest, "{evidence}"):
			b.WriteString(r.Evidence)
			t = rest[len("{evidence}"):]
		default:
			b.WriteByte('{')
			t = rest[1:]
		}
	}
	b.WriteString(t)
	return b.String()
}

// MarshalJSON adds the text to the fields, so that JSON readers need not
// know the rules.
func (r Reason) MarshalJSON() ([]byte, error) {
	type fields Reason
	return json.Marshal(struct {
		fields
		Text string `json:"text"`
	}{fields(r), r.String()})
}

// Texts returns the text of each reason, in order.
func Texts(reasons []Reason) []string {
	s := make([]string, len(reasons))
	for i, r := range reasons {
		s[i] = r.String()
	}
	return s
}

// HasReason reports whether one of e's reasons was given by rule.
func (e *Entry) HasReason(rule Rule) bool {
	for _, r := range e.Reasons {
		if r.Rule == rule {
			return true
		}
	}
	return false
}
