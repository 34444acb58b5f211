package awsiam

import (
	"context"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

// undo is deploy --stage current: CURRENT's key Active again, and the key
// this rotation minted deleted unless a stage still refers to it. deploy
// has checked the lock: PENDING, if any, is this rotation's.
func (t *Target) undo(ctx context.Context, s *step.Secrets, e *step.Env, cur, pend core.Version, hasPend bool) (step.Result, error) {
	user, _ := cur.Value.String(fieldUser)
	curKey, _ := cur.Value.String(fieldKeyID)
	known := []core.Version{cur}
	if hasPend {
		known = append(known, pend)
	}
	referenced, keys, tag, err := t.keyState(ctx, s, user, known...)
	if err != nil {
		return step.Result{}, err
	}
	var actions []func() error
	var plan []string
	for _, k := range keys {
		switch {
		case k.ID == curKey && !k.Active:
			plan = append(plan, "reactivate CURRENT access key "+k.ID)
			id := k.ID
			actions = append(actions, func() error { return t.setStatus(ctx, user, id, true) })
		case !referenced[k.ID] && tag.Rotation == e.Opts.Rotation && tag.minted(k):
			plan = append(plan, "delete access key "+k.ID+" minted by this rotation")
			id := k.ID
			actions = append(actions, func() error { return t.deleteKey(ctx, user, id) })
		}
	}
	if tag.Rotation == e.Opts.Rotation && !hasPend {
		actions = append(actions, func() error { return t.clearTag(ctx, user) })
	}
	verb := "did"
	if e.Opts.DryRun {
		verb = "plan"
	}
	for _, p := range plan {
		e.Log.Info(verb+": "+p, "user", user)
	}
	if !e.Opts.DryRun {
		for _, a := range actions {
			if err := a(); err != nil {
				return step.Result{}, err
			}
		}
		e.Audit("set back to CURRENT", "user", user, "access_key_id", curKey, "changed", len(plan) > 0)
	}
	return step.Result{Changed: len(plan) > 0 && !e.Opts.DryRun, Outputs: map[string]any{"user": user, "access_key_id": curKey, "stage": "current"}}, nil
}
