package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Revoke makes PREVIOUS stop working. single: the password changed in place,
// so PREVIOUS is normally refused already; if it still logs in, CURRENT is
// set again. alternate: the previous user is kept for the next turn.
// Re-running it changes nothing.
func (t Target) Revoke(ctx context.Context, req core.ApplyRequest) (core.Plan, error) {
	prevUser, _ := req.Previous.String("username")
	curUser, _ := req.Current.String("username")
	if req.Strategy == core.Alternate && prevUser != curUser {
		return core.Plan{Actions: []string{fmt.Sprintf("kept role %q with its password for the next turn (alternate strategy)", prevUser)}}, nil
	}
	err := t.Check(ctx, req.Previous)
	switch {
	case errors.Is(err, core.ErrRejected):
		return core.Plan{Actions: []string{fmt.Sprintf("previous password of role %q is refused; nothing to do", prevUser)}}, nil
	case err != nil:
		return core.Plan{}, err
	}
	plan, err := t.Apply(ctx, core.ApplyRequest{Strategy: core.Single, Want: req.Current, Current: req.Current, Admin: req.Admin, DryRun: req.DryRun})
	if err != nil {
		return core.Plan{}, err
	}
	plan.Actions = append([]string{fmt.Sprintf("previous password of role %q still logs in; setting CURRENT again", prevUser)}, plan.Actions...)
	return plan, nil
}
