package step

import (
	"context"
	"fmt"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// StorePromote is <store>-promote: step 5a, PENDING becomes CURRENT.
func StorePromote(scheme string, open StoreOpener) Command {
	return Command{
		Name:    scheme + "-promote",
		Summary: "make this rotation's PENDING value CURRENT; the old CURRENT becomes PREVIOUS",
		Details: `Run after validation succeeded. Re-running after it succeeded changes nothing.
Refuses with exit 5 when PENDING belongs to another rotation or CURRENT changed
since the value was staged.`,
		Flags: []string{"secret", "rotation", "dry-run", "timeout"},
		Run:   storeRun(scheme, open, promote),
	}
}

func promote(ctx context.Context, st core.Store, ref core.Ref, e *Env) (Result, error) {
	id := e.Opts.Rotation
	pend, ok, err := getOptional(ctx, st, ref, core.Pending)
	if err != nil {
		return Result{}, err
	}
	if !ok {
		cur, err := st.Get(ctx, ref, core.Current)
		if err != nil {
			return Result{}, fmt.Errorf("read current value of %s: %w", ref, err)
		}
		if cur.Rotation == id {
			e.Audit("already promoted; nothing to do", "current_version", cur.ID, "changed", false)
			return Result{Outputs: map[string]any{"current_version": cur.ID}}, nil
		}
		return Result{}, fmt.Errorf("%w: %s has no PENDING value for rotation %s (run %s-stage first)", core.ErrNotFound, ref, id, ref.Scheme)
	}
	if pend.Rotation != id {
		return Result{}, fmt.Errorf("%w: PENDING of %s belongs to rotation %s, not %s", core.ErrConflict, ref, pend.Rotation, id)
	}
	if e.Opts.DryRun {
		e.Audit("plan: promote PENDING to CURRENT", "pending_version", pend.ID, "current_version", pend.Base, "where", st.Describe(ref))
		return Result{Outputs: map[string]any{"pending_version": pend.ID, "previous_version": pend.Base}}, nil
	}
	v, changed, err := st.Promote(ctx, ref, id)
	if err != nil {
		return Result{}, fmt.Errorf("promote %s: %w", ref, err)
	}
	e.Audit("promoted", "current_version", v.ID, "previous_version", pend.Base, "changed", changed)
	return Result{Changed: changed, Outputs: map[string]any{"current_version": v.ID, "previous_version": pend.Base}}, nil
}

// StoreRollback is <store>-rollback: discard an unpromoted PENDING.
func StoreRollback(scheme string, open StoreOpener) Command {
	return Command{
		Name:    scheme + "-rollback",
		Summary: "discard this rotation's PENDING value; after promotion it changes nothing",
		Details: `For the errors: branch of a flow. It never touches another rotation's PENDING
(exit 5). Once a rotation is promoted its value has been validated, so rollback
changes nothing and says so: a promoted rotation is undone only by a new one.
Follow it with <target>-deploy --stage current to set the target back.`,
		Flags: []string{"secret", "rotation", "dry-run", "timeout"},
		Run:   storeRun(scheme, open, rollback),
	}
}

func rollback(ctx context.Context, st core.Store, ref core.Ref, e *Env) (Result, error) {
	id := e.Opts.Rotation
	pend, ok, err := getOptional(ctx, st, ref, core.Pending)
	if err != nil {
		return Result{}, err
	}
	if !ok {
		cur, found, err := getOptional(ctx, st, ref, core.Current)
		if err != nil {
			return Result{}, err
		}
		if !found {
			// A wrong reference must not pass for a clean rollback.
			return Result{}, fmt.Errorf("%w: secret %s has no CURRENT value (does it exist?)", core.ErrNotFound, ref)
		}
		if cur.Rotation == id {
			e.Audit("already promoted; nothing to roll back (a promoted rotation is undone only by a new one)", "current_version", cur.ID, "changed", false)
			return Result{Outputs: map[string]any{"promoted": true, "current_version": cur.ID}}, nil
		}
		e.Audit("no PENDING value; nothing to roll back", "changed", false)
		return Result{Outputs: map[string]any{"promoted": false}}, nil
	}
	if pend.Rotation != id {
		return Result{}, fmt.Errorf("%w: PENDING of %s belongs to rotation %s, not %s; leaving it alone", core.ErrConflict, ref, pend.Rotation, id)
	}
	if e.Opts.DryRun {
		e.Audit("plan: discard PENDING", "pending_version", pend.ID, "where", st.Describe(ref))
		return Result{Outputs: map[string]any{"promoted": false, "pending_version": pend.ID}}, nil
	}
	changed, err := st.DiscardPending(ctx, ref, id)
	if err != nil {
		return Result{}, fmt.Errorf("discard PENDING of %s: %w", ref, err)
	}
	e.Audit("rolled back: PENDING discarded", "pending_version", pend.ID, "changed", changed)
	return Result{Changed: changed, Outputs: map[string]any{"promoted": false, "pending_version": pend.ID}}, nil
}
