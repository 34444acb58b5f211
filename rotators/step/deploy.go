package step

import (
	"context"
	"errors"
	"fmt"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// TargetDeploy is <target>-deploy: step 3, the target accepts PENDING.
func TargetDeploy(target string, open TargetOpener) Command {
	return Command{
		Name:    target + "-deploy",
		Summary: "change the target so that the PENDING (or, to undo, the CURRENT) credential works",
		Details: `Reads the secret through its store's helper (<store>-get), never from argv or
the environment. First tries to log in with the wanted credential and stops if it
already works (re-running is safe). Otherwise it authenticates with the admin
credential (--admin-secret), else with CURRENT, then PREVIOUS, and sets it.
--stage current is the undo of a failed rotation: it sets the target back to CURRENT.`,
		Flags:    []string{"secret", "rotation", "stage", "admin-secret", "dry-run", "timeout"},
		Defaults: map[string]string{"stage": "pending"},
		Run:      targetRun(open, deploy),
	}
}

func deploy(ctx context.Context, t core.Target, s *secrets, e *Env) (Result, error) {
	stage, err := core.ParseStage(e.Opts.Stage)
	if err != nil || stage == core.Previous {
		return Result{}, fmt.Errorf("%w: --stage %q: deploy takes pending or current", core.ErrUsage, e.Opts.Stage)
	}
	want, ok, err := s.get(ctx, s.ref, stage)
	if err != nil {
		return Result{}, err
	}
	cur, err := s.must(ctx, core.Current)
	if err != nil {
		return Result{}, err
	}
	if !ok {
		if cur.Rotation == e.Opts.Rotation {
			e.Audit("already promoted; nothing to deploy", "current_version", cur.ID, "changed", false)
			return Result{Outputs: map[string]any{"version": cur.ID}}, nil
		}
		return Result{}, fmt.Errorf("%w: %s has no PENDING value (run the store's -stage first)", core.ErrNotFound, s.ref)
	}
	if stage == core.Pending && want.Rotation != e.Opts.Rotation {
		return Result{}, fmt.Errorf("%w: PENDING of %s belongs to rotation %s, not %s", core.ErrConflict, s.ref, want.Rotation, e.Opts.Rotation)
	}
	req := core.ApplyRequest{Strategy: want.Strategy, Want: want.Value, Current: cur.Value, DryRun: e.Opts.DryRun}
	if stage == core.Current {
		// Undo: the target may hold PENDING now; it is the credential to log in with.
		req.Strategy = core.Single
		if p, ok, err := s.get(ctx, s.ref, core.Pending); err != nil {
			return Result{}, err
		} else if ok {
			req.Current = p.Value
		}
	}
	if prev, ok, err := s.get(ctx, s.ref, core.Previous); err != nil {
		return Result{}, err
	} else if ok {
		req.Previous = prev.Value
	}
	if req.Admin, err = s.admin(ctx); err != nil {
		return Result{}, err
	}
	outs := map[string]any{"version": want.ID, "stage": string(stage), "strategy": string(req.Strategy)}
	switch err := t.Check(ctx, want.Value); {
	case err == nil:
		e.Audit("already works; nothing to deploy", "target", t.Describe(want.Value), "version", want.ID, "changed", false)
		return Result{Outputs: outs}, nil
	case !errors.Is(err, core.ErrRejected):
		return Result{}, fmt.Errorf("try %s: %w", t.Describe(want.Value), err)
	}
	plan, err := t.Apply(ctx, req)
	if err != nil {
		return Result{}, fmt.Errorf("deploy to %s: %w", t.Describe(want.Value), err)
	}
	logPlan(e, t, want.Value, plan)
	if e.Opts.DryRun {
		return Result{Outputs: outs}, nil
	}
	e.Audit("deployed", "target", t.Describe(want.Value), "version", want.ID, "stage", stage, "changed", plan.Changed)
	return Result{Changed: plan.Changed, Outputs: outs}, nil
}
