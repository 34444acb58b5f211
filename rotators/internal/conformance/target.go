package conformance

import (
	"context"
	"fmt"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// TargetHarness is what a target gives the suite. Its secrets live in Store.
type TargetHarness struct {
	Name       string // binary prefix, for example postgres
	Store      StoreHarness
	Env        []string        // extra environment for the target binaries
	Strategies []core.Strategy // strategies the target supports
	// NewAccount creates an account on the target, stores its credential as
	// a new secret and returns the reference and the initial value.
	NewAccount func(t testing.TB, r *Runner, s core.Strategy) (core.Ref, core.Value)
	// AdminRef is the secret reference of the admin credential, "" if none.
	AdminRef string
	// Login logs in with creds without using the target package.
	Login func(ctx context.Context, creds core.Value) error
	// Break makes creds stop working behind the rotation's back.
	Break func(t testing.TB, creds core.Value)
	// Mints is set for targets that mint the credential themselves (IAM
	// keys): their deploy stages it, so a rotation has no stage step.
	Mints bool
	// StepArgs are extra flags per step, for example {"revoke": {"--grace", "0s"}}.
	StepArgs map[string][]string
	// Hold, for UsageSuite and NoLockout, logs in with creds and keeps the
	// session open until release is called.
	Hold func(t testing.TB, creds core.Value) (release func())
	// Lockout, for NoLockout: how the application reads its credential and
	// which steps run, when that is not CURRENT from the store and the
	// target's own steps; nil: those.
	Lockout *LockoutPlan
	// SessionStart, for UsageSuite: the target knows when a session opened,
	// so sessions opened after promotion do not hold up revoke.
	SessionStart bool
	// NewRichAccount, for alternate: NewAccount with everything the target
	// can give an account besides plain grants (roles, a default role,
	// column grants, limits, TLS requirements, settings).
	NewRichAccount func(t testing.TB, r *Runner) (core.Ref, core.Value)
	// Behaviour describes how the account of creds behaves (what it may
	// do, its limits, settings and roles; not its name): accounts that
	// behave the same give the same text.
	Behaviour func(t testing.TB, creds core.Value) string
}

type targetCase struct {
	t        *testing.T
	h        TargetHarness
	r        *Runner
	strategy core.Strategy
	ref      core.Ref
	initial  core.Value
}

// TargetSuite runs the target conformance suite for each strategy.
func TargetSuite(t *testing.T, h TargetHarness) {
	tests := []struct {
		name string
		fn   func(c *targetCase)
	}{
		{"full_rotation_twice", targetFull},
		{"each_step_twice", targetTwice},
		{"crash_and_resume", targetCrash},
		{"validation_failure_rolls_back", targetValidationFailure},
		{"second_rotation_refused", targetConflict},
		{"undo_obeys_the_lock", targetUndoLock},
		{"dry_run_changes_nothing", targetDryRun},
		{"quotes_and_backslashes", targetTrickyPassword},
		{"undo_with_broken_admin", targetUndoBrokenAdmin},
		{"rich_account_there_and_back", targetRichAccount},
	}
	for _, s := range h.Strategies {
		for _, tc := range tests {
			if skip := h.skip(s, tc.name); skip {
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

// rotationSteps of one rotation, in order.
var rotationSteps = []string{"stage", "deploy", "validate", "promote", "revoke"}

// steps are the rotation's steps for this target.
func (c *targetCase) steps() []string {
	if c.h.Mints {
		return rotationSteps[1:]
	}
	return rotationSteps
}

func (c *targetCase) argv(step, id string, more ...string) (string, []string) {
	return c.h.Argv(step, c.ref, id, c.strategy, more...)
}

// Argv returns the binary and arguments of one step (stage, deploy,
// validate, promote, revoke, rollback) of rotation id of the secret ref,
// with the harness's StepArgs and admin secret, then more.
func (h TargetHarness) Argv(step string, ref core.Ref, id string, s core.Strategy, more ...string) (string, []string) {
	a := []string{"--secret", ref.String()}
	more = append(append([]string{}, h.StepArgs[step]...), more...)
	switch step {
	case "stage":
		return h.Store.bin("stage"), append(append(a, "--rotation", id, "--strategy", string(s)), more...)
	case "promote", "rollback":
		return h.Store.bin(step), append(append(a, "--rotation", id), more...)
	case "validate":
		return h.Name + "-validate", append(a, more...)
	}
	if h.AdminRef != "" && !h.Mints {
		a = append(a, "--admin-secret", h.AdminRef)
	}
	return h.Name + "-" + step, append(append(a, "--rotation", id), more...)
}

func (c *targetCase) run(want int, step, id string, more ...string) Run {
	c.t.Helper()
	name, a := c.argv(step, id, more...)
	return c.r.Must(c.t, want, name, a...)
}

func (c *targetCase) rotate(id string) {
	c.t.Helper()
	for _, step := range c.steps() {
		c.run(0, step, id)
	}
}

func (c *targetCase) stages() Stages { return c.h.Store.Inspect(c.t, c.r, c.ref) }

// mustLogIn fails the test unless the credential logs in.
func (c *targetCase) mustLogIn(what string, creds core.Value, want bool) {
	c.t.Helper()
	err := c.h.Login(context.Background(), creds)
	if want && err != nil {
		c.t.Errorf("%s: got login error %v, want it to log in", what, err)
	}
	if !want && err == nil {
		c.t.Errorf("%s: logged in, want it refused", what)
	}
}

// checkRotated verifies the state after a completed rotation.
func (c *targetCase) checkRotated(id string) {
	c.t.Helper()
	s := c.stages()
	if s.Current.Rotation != id || !s.Pending.Value.IsZero() {
		c.t.Errorf("after rotation %s: CURRENT made by %q, PENDING left %v", id, s.Current.Rotation, !s.Pending.Value.IsZero())
	}
	c.mustLogIn("CURRENT", s.Current.Value, true)
	c.run(0, "validate", "", "--stage", "current")
	c.run(core.ExitRejected, "validate", "", "--stage", "current", "--expect-reject")
	if c.strategy != core.Alternate {
		c.mustLogIn("PREVIOUS after a "+string(c.strategy)+" rotation", s.Previous.Value, false)
		c.run(0, "validate", "", "--stage", "previous", "--expect-reject")
	} else {
		c.mustLogIn("PREVIOUS user kept for the next turn", s.Previous.Value, true)
	}
}

func targetFull(c *targetCase) {
	for i := range 2 {
		id := RandomID(fmt.Sprintf("rot%d-", i))
		c.rotate(id)
		c.checkRotated(id)
	}
}

func targetTwice(c *targetCase) {
	id := RandomID("rot-")
	for _, step := range c.steps() {
		c.run(0, step, id)
		if again := c.run(0, step, id); again.Changed() {
			c.t.Errorf("%s run twice: second run changed something", step)
		}
	}
	c.checkRotated(id)
}

func targetCrash(c *targetCase) {
	steps := c.steps()
	for k, step := range steps {
		for _, d := range crashDelays[:4] {
			c.t.Run(fmt.Sprintf("%s_killed_after_%s", step, d), func(t *testing.T) {
				sub := *c
				sub.t = t
				sub.ref, sub.initial = c.h.NewAccount(t, c.r, c.strategy)
				id := RandomID("rot-")
				for _, before := range steps[:k] {
					sub.run(0, before, id)
				}
				name, a := sub.argv(step, id)
				c.r.Kill(t, d, name, a...)
				if c.strategy != core.Single {
					sub.mustLogIn("CURRENT right after a crash", sub.stages().Current.Value, true)
				}
				for _, rest := range steps[k:] {
					sub.run(0, rest, id)
				}
				sub.checkRotated(id)
			})
		}
	}
}

func targetValidationFailure(c *targetCase) {
	id := RandomID("rot-")
	for _, step := range c.steps()[:len(c.steps())-3] {
		c.run(0, step, id)
	}
	pend := c.stages().Pending
	c.h.Break(c.t, pend.Value)
	c.run(core.ExitRejected, "validate", id)
	if run := c.run(0, "rollback", id); !run.Changed() {
		c.t.Errorf("rollback: got changed false, want true")
	}
	c.run(0, "deploy", id, "--stage", "current")
	s := c.stages()
	if !s.Pending.Value.IsZero() || !s.Current.Value.Equal(c.initial) {
		c.t.Errorf("after rollback: PENDING left or CURRENT changed")
	}
	c.mustLogIn("CURRENT after rollback", s.Current.Value, true)
	next := RandomID("rot-")
	c.rotate(next)
	c.checkRotated(next)
}

func targetConflict(c *targetCase) {
	a, b := RandomID("rot-a-"), RandomID("rot-b-")
	first := c.steps()[0]
	c.run(0, first, a)
	if !c.h.Mints {
		c.run(core.ExitConflict, "stage", b)
	}
	c.run(core.ExitConflict, "deploy", b)
	c.run(core.ExitConflict, "promote", b)
	c.run(core.ExitConflict, "rollback", b)
	for _, step := range c.steps()[1:] {
		c.run(0, step, a)
	}
	c.checkRotated(a)
	c.run(core.ExitUsage, "revoke", b)
}

// targetUndoLock: the undo of another rotation (deploy --stage current)
// must not set the target back under a rotation that has deployed and
// validated PENDING and is about to promote it (docs/security.md).
func targetUndoLock(c *targetCase) {
	a, b := RandomID("rot-a-"), RandomID("rot-b-")
	for _, step := range c.steps()[:len(c.steps())-2] {
		c.run(0, step, a)
	}
	c.run(core.ExitConflict, "deploy", b, "--stage", "current")
	for _, step := range c.steps()[len(c.steps())-2:] {
		c.run(0, step, a)
	}
	c.checkRotated(a)
}

func targetDryRun(c *targetCase) {
	id := RandomID("rot-")
	first := c.steps()[0]
	c.run(0, first, id, "--dry-run")
	if s := c.stages(); !s.Pending.Value.IsZero() {
		c.t.Fatalf("%s --dry-run wrote PENDING", first)
	}
	if !c.h.Mints {
		c.run(0, "stage", id)
		c.run(0, "deploy", id, "--dry-run")
		c.mustLogIn("PENDING after deploy --dry-run", c.stages().Pending.Value, false)
	}
	c.mustLogIn("CURRENT after deploy --dry-run", c.initial, true)
	c.run(0, "deploy", id)
	c.run(0, "validate", id)
	c.run(0, "promote", id, "--dry-run")
	if s := c.stages(); s.Pending.Value.IsZero() {
		c.t.Fatalf("promote --dry-run promoted")
	}
	c.run(0, "promote", id)
	c.run(0, "revoke", id, "--dry-run")
	c.run(0, "revoke", id)
	c.checkRotated(id)
}

func targetTrickyPassword(c *targetCase) {
	id := RandomID("rot-")
	pw := `it's a "q\uote" \\ $x ` + RandomID("")
	c.r.Secret(pw)
	name, a := c.argv("stage", id, "--stdin")
	if run := c.r.Exec(c.t, fmt.Sprintf(`{"password":%q}`, pw), name, a...); run.Code != 0 {
		c.t.Fatalf("stage --stdin: %s", run)
	}
	for _, step := range rotationSteps[1:] {
		c.run(0, step, id)
	}
	c.checkRotated(id)
	if got, _ := c.stages().Current.Value.String("password"); got != pw {
		c.t.Errorf("CURRENT password is not the one given on stdin")
	}
}
