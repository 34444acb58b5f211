package step

import (
	"context"
	"errors"
	"fmt"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// TargetValidate is <target>-validate: step 4, log in and run a probe.
func TargetValidate(target string, open TargetOpener) Command {
	return Command{
		Name:    target + "-validate",
		Summary: "log in to the target with a stage of the secret and run a probe",
		Details: `Exit 0 when the credential works, 4 when the target refuses it. With
--expect-reject the meaning flips: exit 0 when the target refuses the credential,
which proves an old password is dead (for example --stage previous after a
single-user rotation), and 4 when it still works. Changes nothing.`,
		Flags:    []string{"secret", "stage", "expect-reject", "timeout"},
		Defaults: map[string]string{"stage": "pending"},
		Run:      targetRun(open, validate),
	}
}

func validate(ctx context.Context, t core.Target, s *secrets, e *Env) (Result, error) {
	stage, err := core.ParseStage(e.Opts.Stage)
	if err != nil {
		return Result{}, err
	}
	v, err := s.must(ctx, stage)
	if err != nil {
		return Result{}, err
	}
	who := t.Describe(v.Value)
	outs := map[string]any{"stage": string(stage), "version": v.ID, "expect_reject": e.Opts.ExpectReject}
	err = t.Check(ctx, v.Value)
	switch {
	case err == nil && e.Opts.ExpectReject:
		e.Audit("still accepted", "target", who, "stage", stage, "version", v.ID, "outcome", "fail")
		return Result{}, fmt.Errorf("%w: %s credential of %s still logs in to %s", core.ErrRejected, stage, s.ref, who)
	case err == nil:
		e.Audit("accepted", "target", who, "stage", stage, "version", v.ID, "outcome", "pass")
		outs["accepted"] = true
		return Result{Outputs: outs}, nil
	case errors.Is(err, core.ErrRejected) && e.Opts.ExpectReject:
		e.Audit("refused as expected", "target", who, "stage", stage, "version", v.ID, "outcome", "pass")
		outs["accepted"] = false
		return Result{Outputs: outs}, nil
	case errors.Is(err, core.ErrRejected):
		e.Audit("refused", "target", who, "stage", stage, "version", v.ID, "outcome", "fail")
		return Result{}, fmt.Errorf("validate %s credential on %s: %w", stage, who, err)
	}
	return Result{}, fmt.Errorf("validate %s credential on %s: %w", stage, who, err)
}

// TargetRevoke is <target>-revoke: step 5b, the PREVIOUS credential stops working.
func TargetRevoke(target string, open TargetOpener) Command {
	return Command{
		Name:    target + "-revoke",
		Summary: "make the PREVIOUS credential stop working, after promotion",
		Details: `Runs only after this rotation was promoted (CURRENT made by --rotation).
single: the password was changed in place, so PREVIOUS is already dead; revoke
checks it and re-applies CURRENT if it is not. alternate: the previous user is
left as it is for the next turn. Re-running it changes nothing.`,
		Flags: []string{"secret", "rotation", "admin-secret", "dry-run", "timeout"},
		Run:   targetRun(open, revoke),
	}
}

func revoke(ctx context.Context, t core.Target, s *secrets, e *Env) (Result, error) {
	cur, err := s.must(ctx, core.Current)
	if err != nil {
		return Result{}, err
	}
	if cur.Rotation != e.Opts.Rotation {
		return Result{}, fmt.Errorf("%w: CURRENT of %s was not made by rotation %s (promote it first)", core.ErrUsage, s.ref, e.Opts.Rotation)
	}
	prev, ok, err := s.get(ctx, s.ref, core.Previous)
	if err != nil {
		return Result{}, err
	}
	if !ok {
		e.Audit("no PREVIOUS value; nothing to revoke", "changed", false)
		return Result{}, nil
	}
	admin, err := s.admin(ctx)
	if err != nil {
		return Result{}, err
	}
	plan, err := t.Revoke(ctx, core.ApplyRequest{Strategy: cur.Strategy, Want: cur.Value, Current: cur.Value,
		Previous: prev.Value, Admin: admin, DryRun: e.Opts.DryRun})
	if err != nil {
		return Result{}, fmt.Errorf("revoke on %s: %w", t.Describe(prev.Value), err)
	}
	logPlan(e, t, prev.Value, plan)
	outs := map[string]any{"previous_version": prev.ID, "strategy": string(cur.Strategy)}
	if !e.Opts.DryRun {
		e.Audit("revoked", "target", t.Describe(prev.Value), "previous_version", prev.ID, "changed", plan.Changed)
	}
	return Result{Changed: plan.Changed, Outputs: outs}, nil
}
