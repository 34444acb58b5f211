package core

import (
	"fmt"
	"strings"
)

// ExitCodeMeaning is one row of the exit-code table.
type ExitCodeMeaning struct {
	Code    int
	Meaning string
	// Class is the error class a parent reports when a helper exits with
	// Code (ErrorForExit); nil for codes no class maps to.
	Class error
}

// ExitCodes is the exit-code table of every binary, the one statement of it:
// the --help text is generated from it (ExitCodeTable), ErrorForExit reads
// it, and docs/design.md carries a copy that a test compares with it.
var ExitCodes = []ExitCodeMeaning{
	{ExitOK, "done, or nothing to do", nil},
	{ExitInternal, "internal error", nil},
	{ExitUsage, "bad usage or configuration, an absent secret or refused permissions (retrying cannot help)", ErrUsage},
	{ExitUnavailable, "store or target unreachable or throttled, or the --timeout passed (safe to retry)", ErrUnavailable},
	{ExitRejected, "validation rejected the credential (an inventory with --fail-on-overdue: a secret overdue or stuck)", ErrRejected},
	{ExitConflict, "conflict: another rotation holds the secret, or a check-and-set lost", ErrConflict},
}

// ExitCodeTable is ExitCodes as the --help text prints it.
func ExitCodeTable() string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, e := range ExitCodes {
		fmt.Fprintf(&b, "  %d  %s\n", e.Code, e.Meaning)
	}
	return b.String()
}
