package step

import (
	"context"
	"errors"
	"fmt"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// TargetDeploy is <target>-deploy: step 3, the target accepts PENDING.
func TargetDeploy[T core.Applier](t TargetSpec[T]) Command {
	flags := []string{"secret", "rotation", "stage", "admin-secret"}
	alternate := ""
	if t.Alternate && t.lists() {
		flags = append(flags, "grace", "force")
		alternate = `alternate: the incoming user is the one that was retired a turn ago; before its
password changes, deploy waits up to --grace for its sessions to end (exit 5
naming them if some remain; --force goes on).`
	}
	declared, names := t.declared("deploy")
	return Command{
		Name:    t.Name + "-deploy",
		Summary: "change the target so that the PENDING (or, to undo, the CURRENT) credential works",
		Details: t.details("deploy", `Reads the secret through its store's helper (<store>-get), never from argv or
the environment. First tries to log in with the wanted credential and stops if it
already works (re-running is safe). Otherwise it authenticates with the admin
credential (--admin-secret), else with CURRENT, then PREVIOUS, and sets it.
--stage current is the undo of a failed rotation: it sets the target back to CURRENT
(on targets where an account can hold two passwords, it also removes any password
but CURRENT's and PREVIOUS's, so a discarded PENDING stops working). Run it before
<store>-rollback: while PENDING is still stored and the target refuses it, there is
nothing to remove and no admin credential is needed.`, alternate),
		Flags:    append(append(flags, names...), "dry-run", "timeout"),
		Declared: declared,
		Defaults: map[string]string{"stage": "pending"},
		Run: targetRun(t, func(ctx context.Context, tg T, s *Secrets, e *Env) (Result, error) {
			return deploy(ctx, tg, s, e)
		}),
	}
}

func deploy(ctx context.Context, t core.Applier, s *Secrets, e *Env) (Result, error) {
	stage, err := core.ParseStage(e.Opts.Stage)
	if err != nil || stage == core.Previous {
		return Result{}, fmt.Errorf("%w: --stage %q: deploy takes pending or current", core.ErrUsage, e.Opts.Stage)
	}
	s.prefetch(ctx, append([]stageOf{{s.ref, stage}, {s.ref, core.Current}, {s.ref, core.Pending}, {s.ref, core.Previous}},
		s.adminStage()...)...)
	want, ok, err := s.get(ctx, s.ref, stage)
	if err != nil {
		return Result{}, err
	}
	cur, err := s.Must(ctx, core.Current)
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
	if err := ownPending(ctx, s, e, stage, want); err != nil {
		return Result{}, err
	}
	if err := checkGrace(e.Opts); err != nil {
		return Result{}, err
	}
	req, err := deployRequest(ctx, s, e, stage, want, cur.Value)
	if err != nil {
		return Result{}, err
	}
	outs := map[string]any{"version": want.ID, "stage": string(stage), "strategy": string(req.Strategy)}
	switch err := t.Check(ctx, want.Value); {
	case err == nil && stage == core.Current:
		return prune(ctx, t, req, want.ID, outs, e)
	case err == nil:
		e.Audit("already works; nothing to deploy", "target", t.Describe(want.Value), "version", want.ID, "changed", false)
		return Result{Outputs: outs}, nil
	case !errors.Is(err, core.ErrRejected):
		return Result{}, fmt.Errorf("try %s: %w", t.Describe(want.Value), err)
	}
	if err := awaitTurn(ctx, t, req, outs, e); err != nil {
		return Result{}, err
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

// ownPending is the lock: deploy sets the target to PENDING only for the
// rotation that staged it, and the undo (--stage current) refuses while
// another rotation's PENDING exists, which that rotation may be about to
// promote: setting the target back to CURRENT under it would lock out the
// value it promotes.
func ownPending(ctx context.Context, s *Secrets, e *Env, stage core.Stage, want core.Version) error {
	p := want
	if stage == core.Current {
		var ok bool
		var err error
		if p, ok, err = s.get(ctx, s.ref, core.Pending); err != nil || !ok {
			return err
		}
	}
	if p.Rotation != e.Opts.Rotation {
		return fmt.Errorf("%w: PENDING of %s belongs to rotation %s, not %s", core.ErrConflict, s.ref, p.Rotation, e.Opts.Rotation)
	}
	return nil
}

// deployRequest gathers what Apply needs: for the undo (--stage current)
// the credential to log in with is PENDING, which the target may hold now.
func deployRequest(ctx context.Context, s *Secrets, e *Env, stage core.Stage, want core.Version, cur core.Value) (core.ApplyRequest, error) {
	req := core.ApplyRequest{Strategy: want.Strategy, Want: want.Value, Current: cur, DryRun: e.Opts.DryRun}
	if stage == core.Current {
		req.Strategy = core.Single // undo: set CURRENT back, whatever was staged
		if p, ok, err := s.get(ctx, s.ref, core.Pending); err != nil {
			return req, err
		} else if ok {
			req.Current = p.Value
		}
	}
	if prev, ok, err := s.get(ctx, s.ref, core.Previous); err != nil {
		return req, err
	} else if ok {
		req.Previous = prev.Value
	}
	var err error
	req.Admin, err = s.admin(ctx)
	return req, err
}

// awaitTurn is the usage gate of the alternate strategy: the incoming user
// is the one retired a turn ago, and changing its password locks out every
// session still using it.
func awaitTurn(ctx context.Context, t core.Target, req core.ApplyRequest, outs map[string]any, e *Env) error {
	if req.Strategy != core.Alternate || username(req.Want) == username(req.Current) {
		return nil
	}
	g := gate{what: "the old password of " + t.Describe(req.Want) + ", whose turn it is again",
		req: core.UsageRequest{Creds: req.Want, Admin: req.Admin, Login: req.Current}}
	u, err := awaitUnused(ctx, t, g, e)
	outs["sessions_found"], outs["sessions_in_use"] = u.found, u.left
	return err
}

// prune is the undo on a target that already accepts CURRENT: where an
// account can hold more than one password, the discarded PENDING is removed.
// When PENDING is still in the store (the flows undo before they roll back)
// and the target refuses it, there is nothing to remove, and no admin
// credential is needed to say so.
func prune(ctx context.Context, t core.Target, req core.ApplyRequest, version string, outs map[string]any, e *Env) (Result, error) {
	p, ok := t.(core.Pruner)
	if !ok {
		e.Audit("already works; nothing to deploy", "target", t.Describe(req.Want), "version", version, "changed", false)
		return Result{Outputs: outs}, nil
	}
	if discardedNeverDeployed(ctx, t, req) {
		e.Audit("already works and the discarded PENDING never did; nothing to deploy", "target", t.Describe(req.Want),
			"version", version, "changed", false)
		return Result{Outputs: outs}, nil
	}
	plan, err := p.Prune(ctx, req)
	if err != nil {
		return Result{}, fmt.Errorf("remove other passwords on %s: %w", t.Describe(req.Want), err)
	}
	logPlan(e, t, req.Want, plan)
	switch {
	case e.Opts.DryRun:
	case plan.Changed:
		e.Audit("CURRENT works; other passwords removed", "target", t.Describe(req.Want), "version", version, "changed", true)
	default:
		e.Audit("already works; nothing to deploy", "target", t.Describe(req.Want), "version", version, "changed", false)
	}
	return Result{Changed: plan.Changed, Outputs: outs}, nil
}

// discardedNeverDeployed says whether the undo knows the discarded PENDING
// (deployRequest puts it in req.Current) and the target refuses it. Any
// other answer, an unreachable target included, leaves the decision to Prune.
func discardedNeverDeployed(ctx context.Context, t core.Target, req core.ApplyRequest) bool {
	if req.Current.IsZero() || req.Current.Equal(req.Want) {
		return false
	}
	return errors.Is(t.Check(ctx, req.Current), core.ErrRejected)
}
