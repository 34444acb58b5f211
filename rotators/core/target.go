package core

import "context"

// Target is what every target offers the steps: a login check and a name
// for log lines. It is all <target>-validate needs. What else a target can
// do is a small interface of its own, each optional: Applier (the generic
// deploy and revoke steps set and retire its credential), UsageChecker
// (it lists the sessions of a user, the decommission gate), Pruner (an
// account holds two passwords, and the undo removes a discarded one). A
// target whose deploy and revoke are its own commands (awsiam mints its
// keys) implements Target alone. Implementations return ErrRejected when the
// target refuses a credential, ErrUnavailable when it cannot be reached,
// ErrUsage for a strategy or value they cannot handle.
type Target interface {
	// Check logs in with creds and runs a harmless probe. It returns nil
	// when the credential is accepted and changes nothing, so re-running
	// it changes nothing either.
	Check(ctx context.Context, creds Value) error

	// Describe names the account and endpoint of creds for log lines. It
	// never includes a secret.
	Describe(creds Value) string
}

// Applier is a target whose credential the generic <target>-deploy and
// <target>-revoke steps set and retire. Every method is safe to re-run.
type Applier interface {
	Target

	// Apply changes the target so that req.Want logs in. It authenticates
	// with req.Admin when given, else with req.Current, then req.Previous,
	// so that a half-done earlier attempt can be finished. Re-running it after
	// it succeeded sets the same password again. With req.DryRun it returns
	// the plan and changes nothing.
	Apply(ctx context.Context, req ApplyRequest) (Plan, error)

	// Revoke makes req.Previous stop working where the strategy calls for
	// it. Re-running it after it succeeded changes nothing.
	Revoke(ctx context.Context, req ApplyRequest) (Plan, error)
}

// ApplyRequest is the input of Applier.Apply and Revoke (and Pruner.Prune):
// what every target shares. Options of one target (MySQL's account host,
// the alternate strategy's grant reconciliation) are flags that target
// declares itself (step.TargetSpec). Zero values mean "not available".
type ApplyRequest struct {
	Strategy Strategy
	Want     Value // the credential to make work (Apply) or to keep (Revoke)
	Current  Value
	Previous Value
	Admin    Value
	DryRun   bool
}

// Plan lists what a target step did or, in a dry run, would do. Actions are
// human descriptions with every secret replaced by [REDACTED].
type Plan struct {
	Actions []string
	Changed bool
}
