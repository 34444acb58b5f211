package conformance

import (
	"fmt"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// skip says which cases do not apply to a harness and strategy.
func (h TargetHarness) skip(s core.Strategy, name string) bool {
	switch name {
	case "quotes_and_backslashes":
		return h.Mints // the target makes the secret; there is no value to give it
	case "undo_with_broken_admin":
		return h.Mints || h.AdminRef == ""
	case "rich_account_there_and_back":
		return s != core.Alternate || h.NewRichAccount == nil
	}
	return false
}

// targetUndoBrokenAdmin: with an admin secret whose password the server
// refuses, deploy fails with exit 2 and changes nothing; the flow's undo
// (deploy --stage current while PENDING is still stored, then rollback)
// succeeds with the same broken secret, since CURRENT still works and the
// target refuses the discarded PENDING: there is nothing to undo. A
// rotation with the working admin then completes.
func targetUndoBrokenAdmin(c *targetCase) {
	broken := *c
	broken.h.AdminRef = c.brokenAdmin()
	id := RandomID("rot-")
	broken.run(0, "stage", id)
	broken.run(core.ExitUsage, "deploy", id)
	if run := broken.run(0, "deploy", id, "--stage", "current"); run.Changed() {
		c.t.Errorf("undo with nothing to undo: got changed true, want false")
	}
	broken.run(0, "rollback", id)
	c.mustLogIn("CURRENT after the undo", c.stages().Current.Value, true)
	next := RandomID("rot-")
	c.rotate(next)
	c.checkRotated(next)
}

// brokenAdmin stores a copy of the admin secret with a wrong password and
// returns its reference.
func (c *targetCase) brokenAdmin() string {
	ref, err := core.ParseRef(c.h.AdminRef)
	if err != nil {
		c.t.Fatalf("admin secret reference: %v", err)
	}
	admin := c.h.Store.Inspect(c.t, c.r, ref).Current.Value
	wrong := RandomID("wrong-admin-pw-")
	c.r.Secret(wrong)
	return c.h.Store.NewSecret(c.t, admin.With("password", wrong)).String()
}

// targetRichAccount: an account with roles, a default role, column grants,
// limits and settings (whatever the target has) is rotated with alternate
// twice, there and back; after each turn both users behave as the account
// did before the first.
func targetRichAccount(c *targetCase) {
	c.ref, c.initial = c.h.NewRichAccount(c.t, c.r)
	want := c.h.Behaviour(c.t, c.initial)
	c.t.Logf("behaviour: %s", want)
	for i := range 2 {
		id := RandomID(fmt.Sprintf("rot%d-", i))
		c.rotate(id)
		c.checkRotated(id)
		s := c.stages()
		for _, x := range []struct {
			name string
			v    core.Value
		}{{"CURRENT", s.Current.Value}, {"PREVIOUS", s.Previous.Value}} {
			if got := c.h.Behaviour(c.t, x.v); got != want {
				c.t.Errorf("turn %d: %s behaves as\n%s\nwant, as the account did before the first turn:\n%s", i+1, x.name, got, want)
			}
		}
	}
}
