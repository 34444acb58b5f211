package step

import (
	"context"
	"errors"
	"fmt"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// TargetRevoke is <target>-revoke: step 5b, the PREVIOUS credential stops working.
func TargetRevoke[T core.Applier](t TargetSpec[T]) Command {
	flags := []string{"secret", "rotation", "admin-secret"}
	gate := ""
	if t.lists() {
		flags = append(flags, "grace", "force")
		gate = `Before retiring the old password it lists the sessions of its user that were
opened before promotion, waits up to --grace for them to end, and refuses with
exit 5, naming them, if some remain; --force goes on anyway.`
	}
	declared, names := t.declared("revoke")
	return Command{
		Name:    t.Name + "-revoke",
		Summary: "make the PREVIOUS credential stop working, after promotion, once no session uses it",
		Details: t.details("revoke", "Runs only after this rotation was promoted (CURRENT made by --rotation).", gate, `Then: dual removes the old password; single (changed in place
at deploy) checks it is refused and sets CURRENT again if not; both prove the
old password is refused afterwards (exit 4 if it still logs in). alternate:
the previous user keeps its password for the next turn (the next deploy waits
for its sessions); revoke only reports them. Re-running it changes nothing.`),
		Flags:    append(append(flags, names...), "dry-run", "timeout"),
		Declared: declared,
		Run: targetRun(t, func(ctx context.Context, tg T, s *Secrets, e *Env) (Result, error) {
			return revoke(ctx, tg, s, e)
		}),
	}
}

func revoke(ctx context.Context, t core.Applier, s *Secrets, e *Env) (Result, error) {
	if err := checkGrace(e.Opts); err != nil {
		return Result{}, err
	}
	s.prefetch(ctx, append([]stageOf{{s.ref, core.Current}, {s.ref, core.Previous}}, s.adminStage()...)...)
	cur, err := s.Must(ctx, core.Current)
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
	req := core.ApplyRequest{Strategy: cur.Strategy, Want: cur.Value, Current: cur.Value, Previous: prev.Value,
		Admin: admin, DryRun: e.Opts.DryRun}
	outs := map[string]any{"previous_version": prev.ID, "strategy": string(cur.Strategy)}
	usageReq := core.UsageRequest{Creds: prev.Value, Before: cur.Created, Admin: admin, Login: cur.Value}
	if prevUser, curUser := username(prev.Value), username(cur.Value); prevUser != curUser {
		return keepPreviousUser(ctx, t, req, usageReq, outs, e)
	}
	return retire(ctx, t, req, gate{req: usageReq, what: "the previous password of " + t.Describe(prev.Value)}, outs, e)
}

// retire is revoke for one user with an old password (single, dual): the
// usage gate, the target's Revoke, then proof that the old password is refused.
func retire(ctx context.Context, t core.Applier, req core.ApplyRequest, g gate, outs map[string]any, e *Env) (Result, error) {
	who := t.Describe(req.Previous)
	refused, err := isRefused(ctx, t, req.Previous)
	if err != nil {
		return Result{}, fmt.Errorf("try the previous password on %s: %w", who, err)
	}
	// single changed the password at deploy, so the old one is refused
	// already; its sessions are still the clients that have not moved on.
	if req.Strategy == core.Single || !refused {
		u, err := awaitUnused(ctx, t, g, e)
		outs["sessions_found"], outs["sessions_in_use"], outs["waited_seconds"] = u.found, u.left, u.waited.Seconds()
		if err != nil {
			return Result{}, err
		}
	}
	plan, err := t.Revoke(ctx, req)
	if err != nil {
		return Result{}, fmt.Errorf("revoke on %s: %w", who, err)
	}
	logPlan(e, t, req.Previous, plan)
	if e.Opts.DryRun {
		return Result{Outputs: outs}, nil
	}
	if refused, err = isRefused(ctx, t, req.Previous); err != nil {
		return Result{}, fmt.Errorf("prove the previous password is refused on %s: %w", who, err)
	} else if !refused {
		return Result{}, fmt.Errorf("%w: the previous password still logs in to %s after revoke", core.ErrRejected, who)
	}
	outs["previous_refused"] = true
	e.Audit("revoked", "target", who, "previous_version", outs["previous_version"], "previous_refused", true, "changed", plan.Changed)
	return Result{Changed: plan.Changed, Outputs: outs}, nil
}

// keepPreviousUser is revoke for the alternate strategy: the previous user
// keeps its password for the next turn. Its sessions are reported, not
// waited for: the next deploy, which changes that user's password, waits.
func keepPreviousUser(ctx context.Context, t core.Applier, req core.ApplyRequest, ureq core.UsageRequest, outs map[string]any, e *Env) (Result, error) {
	if uc, ok := t.(core.UsageChecker); ok {
		ss, err := uc.Sessions(ctx, ureq)
		if err != nil {
			return Result{}, fmt.Errorf("list sessions of %s: %w", t.Describe(req.Previous), err)
		}
		outs["sessions_in_use"] = len(ss)
		if len(ss) > 0 {
			e.Log.Info("previous user still in use; the next rotation's deploy waits for these sessions before changing its password",
				"target", t.Describe(req.Previous), "sessions", len(ss), "list", listSessions(ss))
		}
	}
	plan, err := t.Revoke(ctx, req)
	if err != nil {
		return Result{}, fmt.Errorf("revoke on %s: %w", t.Describe(req.Previous), err)
	}
	logPlan(e, t, req.Previous, plan)
	if !e.Opts.DryRun {
		e.Audit("revoked", "target", t.Describe(req.Previous), "previous_version", outs["previous_version"], "changed", plan.Changed)
	}
	return Result{Changed: plan.Changed, Outputs: outs}, nil
}

// isRefused logs in with creds: true when the target refuses them.
func isRefused(ctx context.Context, t core.Target, creds core.Value) (bool, error) {
	switch err := t.Check(ctx, creds); {
	case err == nil:
		return false, nil
	case errors.Is(err, core.ErrRejected):
		return true, nil
	default:
		return false, err
	}
}

func username(v core.Value) string {
	u, _ := v.String("username")
	return u
}
