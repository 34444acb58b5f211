package step

import (
	"context"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// TargetOpener builds a target from the environment (PG* variables, ...).
type TargetOpener func(ctx context.Context) (core.Target, error)

// fetcher reads secret stages; handoff.Fetcher runs the store helpers.
type fetcher interface {
	Fetch(ctx context.Context, ref core.Ref, stage core.Stage) (core.Version, error)
}

// targetRun opens the target and the secret reader, then runs fn.
func targetRun(open TargetOpener, fn func(context.Context, core.Target, *Secrets, *Env) (Result, error)) func(context.Context, *Env) (Result, error) {
	return func(ctx context.Context, e *Env) (Result, error) {
		s, err := NewSecrets(e) // bad input first, then configuration
		if err != nil {
			return Result{}, err
		}
		t, err := open(ctx)
		if err != nil {
			return Result{}, err
		}
		return fn(ctx, t, s, e)
	}
}

func logPlan(e *Env, target core.Target, creds core.Value, plan core.Plan) {
	for _, a := range plan.Actions {
		verb := "did"
		if e.Opts.DryRun {
			verb = "plan"
		}
		e.Log.Info(verb+": "+a, "target", target.Describe(creds))
	}
}
