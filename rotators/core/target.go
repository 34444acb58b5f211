package core

import "context"

// Target is what the target steps need of a system that accepts credentials
// (a database, Redis, a cloud account). Every method is safe to re-run.
// Implementations return ErrRejected when the target refuses a credential,
// ErrUnavailable when it cannot be reached, ErrUsage for a strategy or value
// they cannot handle.
type Target interface {
	// Check logs in with creds and runs a harmless probe. It returns nil
	// when the credential is accepted and changes nothing.
	Check(ctx context.Context, creds Value) error

	// Apply changes the target so that req.Want logs in. It authenticates
	// with req.Admin when given, else with req.Current, then req.Previous,
	// so that a half-done earlier attempt can be finished. Re-running it after
	// it succeeded sets the same password again. With req.DryRun it returns
	// the plan and changes nothing.
	Apply(ctx context.Context, req ApplyRequest) (Plan, error)

	// Revoke makes req.Previous stop working where the strategy calls for
	// it. Re-running it after it succeeded changes nothing.
	Revoke(ctx context.Context, req ApplyRequest) (Plan, error)

	// Describe names the account and endpoint of creds for log lines. It
	// never includes a secret.
	Describe(creds Value) string
}

// ApplyRequest is the input of Target.Apply and Target.Revoke. Zero values
// mean "not available".
type ApplyRequest struct {
	Strategy Strategy
	Want     Value // the credential to make work (Apply) or to keep (Revoke)
	Current  Value
	Previous Value
	Admin    Value
	DryRun   bool
	// ReconcileGrants (alternate): make the incoming user's privileges match
	// the current user's instead of refusing with ErrConflict when they differ.
	ReconcileGrants bool
	// AccountHost is the host part of a MySQL account 'user'@'host' for
	// secrets without an account_host field (--account-host); "" means "%".
	AccountHost string
	// Version and Rotation name the store version of Want and the rotation
	// at work, for targets that record them (the Kubernetes Secret's
	// annotations); never a value.
	Version  string
	Rotation string
}

// Plan lists what a target step did or, in a dry run, would do. Actions are
// human descriptions with every secret replaced by [REDACTED].
type Plan struct {
	Actions []string
	Changed bool
}
