// Package quote prints file names safely in text: a name is shown as it is
// unless it could forge a line or drive a terminal, or is not UTF-8; then
// it is shown as a Go string literal (strconv.Quote), as ls and git quote
// such names. Every text output of fromscratch (the deps tree, --list,
// --plan, warnings and errors) quotes names through Name.
package quote
