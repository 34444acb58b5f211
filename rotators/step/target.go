package step

import (
	"context"
	"slices"
	"strings"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// TargetSpec is what a target package gives the generic target steps
// (TargetDeploy, TargetValidate, TargetRevoke): its name, how to open it,
// and what of its own its commands offer. T is the target's own type, so
// that the steps see what it can do (core.Applier, core.UsageChecker) and
// offer only the flags that do something there.
type TargetSpec[T core.Target] struct {
	Name string // the command prefix: postgres for postgres-deploy
	// Open builds the target from the environment (PG* variables, ...) and
	// the values of Flags.
	Open func(ctx context.Context, f Flags) (T, error)
	// Flags are the target's own flags, each naming the steps that take it.
	Flags []Flag
	// Details are paragraphs of the target's own for a step's --help, by
	// step ("deploy", "validate", "revoke").
	Details map[string]string
	// Alternate: the target supports the alternate strategy, whose deploy
	// waits for the incoming user's sessions (--grace, --force) when the
	// target can list them.
	Alternate bool
}

// lists reports whether T lists sessions (core.UsageChecker): the usage
// gate of deploy and revoke, and its --grace and --force, need it. T is the
// target's own type (an interface type would hold nil here and say no).
func (t TargetSpec[T]) lists() bool {
	var z T
	_, ok := any(z).(core.UsageChecker)
	return ok
}

// declared are the target's own flags for step, and their names.
func (t TargetSpec[T]) declared(step string) ([]Flag, []string) {
	var fs []Flag
	var names []string
	for _, f := range t.Flags {
		if slices.Contains(f.Steps, step) {
			fs, names = append(fs, f), append(names, f.Name)
		}
	}
	return fs, names
}

// details joins the non-empty paragraphs of a step's --help, the target's own last.
func (t TargetSpec[T]) details(step string, paras ...string) string {
	var ps []string
	for _, p := range append(paras, t.Details[step]) {
		if p != "" {
			ps = append(ps, p)
		}
	}
	return strings.Join(ps, "\n")
}

// targetRun opens the target and the secret reader, then runs fn.
func targetRun[T core.Target](spec TargetSpec[T], fn func(context.Context, T, *Secrets, *Env) (Result, error)) func(context.Context, *Env) (Result, error) {
	return func(ctx context.Context, e *Env) (Result, error) {
		s, err := NewSecrets(e) // bad input first, then configuration
		if err != nil {
			return Result{}, err
		}
		t, err := spec.Open(ctx, e.Flags)
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
