package conformance

import (
	"strings"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// UsageSuite checks safe decommission against a real target, for each
// strategy of h: revoke refuses (exit 5, naming the session) while a session
// opened with the old credential is still open, goes on with --force, and
// waits within --grace for such a session to end; with the alternate
// strategy, the next turn's deploy waits for sessions of the user whose
// password it is about to change. h.Hold must be set.
func UsageSuite(t *testing.T, h TargetHarness) {
	tests := []struct {
		name  string
		fn    func(c *targetCase)
		when  func(s core.Strategy) bool
		start bool // needs h.SessionStart
	}{
		{"revoke_refuses_while_in_use", usageRefused, oneUser, false},
		{"revoke_waits_for_session_to_end", usageWaits, oneUser, false},
		{"later_sessions_do_not_count", usageLater, oneUser, true},
		{"next_turn_waits_for_old_user", usageNextTurn, func(s core.Strategy) bool { return s == core.Alternate }, false},
	}
	for _, s := range h.Strategies {
		for _, tc := range tests {
			if !tc.when(s) || tc.start && !h.SessionStart {
				continue
			}
			t.Run(string(s)+"/"+tc.name, func(t *testing.T) {
				r := h.Store.NewRunner(t, h.Env...)
				ref, v := h.NewAccount(t, r, s)
				tc.fn(&targetCase{t: t, h: h, r: r, strategy: s, ref: ref, initial: v})
			})
		}
	}
}

func oneUser(s core.Strategy) bool { return s != core.Alternate }

// upToPromote runs a rotation up to and including promote.
func (c *targetCase) upToPromote(id string) {
	c.t.Helper()
	for _, step := range c.steps()[:len(c.steps())-1] {
		c.run(0, step, id)
	}
}

// wantNamed fails unless an error line names the user's session.
func (c *targetCase) wantNamed(run Run, user string) {
	c.t.Helper()
	if !strings.Contains(run.Stderr, user+"@") || !strings.Contains(run.Stderr, "session") || !strings.Contains(run.Stderr, "--force") {
		c.t.Errorf("got stderr %q, want it to name the session of %s and mention --force", run.Stderr, user)
	}
}

func usageRefused(c *targetCase) {
	release := c.h.Hold(c.t, c.initial)
	defer release()
	id := RandomID("rot-")
	c.upToPromote(id)
	c.wantNamed(c.run(core.ExitConflict, "revoke", id, "--grace", "1s"), username(c.initial))
	if c.strategy == core.Dual {
		c.mustLogIn("PREVIOUS after a refused revoke", c.initial, true)
	}
	if run := c.run(0, "revoke", id, "--force", "--grace", "0s"); !strings.Contains(run.Stdout, "--force") {
		c.t.Errorf("revoke --force: got stdout %q, want it to say it went on while in use", run.Stdout)
	}
	c.checkRotated(id)
}

func usageWaits(c *targetCase) {
	release := c.h.Hold(c.t, c.initial)
	id := RandomID("rot-")
	c.upToPromote(id)
	timer := time.AfterFunc(1500*time.Millisecond, release)
	defer timer.Stop()
	run := c.run(0, "revoke", id, "--grace", "30s")
	if w, _ := run.Outputs["waited_seconds"].(float64); w < 1 || w > 20 {
		c.t.Errorf("revoke waited %.1fs, want about 1.5s (the session ended then)", w)
	}
	c.checkRotated(id)
}

func usageLater(c *targetCase) {
	id := RandomID("rot-")
	c.upToPromote(id)
	time.Sleep(3200 * time.Millisecond) // past the 2s slack of Redis ages (whole seconds of a cached clock), and then some
	release := c.h.Hold(c.t, c.stages().Current.Value)
	defer release()
	if run := c.run(0, "revoke", id, "--grace", "0s"); run.Outputs["sessions_found"] != float64(0) {
		c.t.Errorf("revoke: got sessions_found %v, want 0 (the session opened after promotion)", run.Outputs["sessions_found"])
	}
	c.checkRotated(id)
}

func usageNextTurn(c *targetCase) {
	first := RandomID("rot1-")
	c.rotate(first)
	release := c.h.Hold(c.t, c.initial) // the previous user, still valid until its next turn
	defer release()
	next := RandomID("rot2-")
	c.run(0, "stage", next)
	c.wantNamed(c.run(core.ExitConflict, "deploy", next, "--grace", "1s"), username(c.initial))
	c.mustLogIn("previous user after a refused deploy", c.initial, true)
	release()
	for _, step := range c.steps()[1:] {
		c.run(0, step, next)
	}
	c.checkRotated(next)
}

func username(v core.Value) string {
	u, _ := v.String("username")
	return u
}
