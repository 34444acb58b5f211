package conformance

import (
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// DriftCase is one difference between the two users of the alternate
// strategy, made behind the rotation's back.
type DriftCase struct {
	Name string
	// Mutate makes the difference; user is the one coming back at the
	// next turn, inUse the one applications use now.
	Mutate func(t testing.TB, user, inUse string)
	// Refused is in the refused deploy's error, Report in the output of
	// the deploy with --reconcile-grants.
	Refused, Report string
	// Check, if set, runs after the reconcile.
	Check func(t testing.TB, user, inUse string)
}

// DriftSuite runs each case on a fresh account: a first alternate turn,
// the difference, then the next deploy refuses with exit 5 naming it and,
// with --reconcile-grants, makes the incoming user match, saying so.
func DriftSuite(t *testing.T, h TargetHarness, cases []DriftCase) {
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			r := h.Store.NewRunner(t, h.Env...)
			ref, initial := h.NewAccount(t, r, core.Alternate)
			c := &targetCase{t: t, h: h, r: r, strategy: core.Alternate, ref: ref, initial: initial}
			first := RandomID("rot1-")
			for _, step := range []string{"stage", "deploy", "promote"} {
				c.run(0, step, first)
			}
			user, _ := initial.String("username")
			inUse, _ := c.stages().Current.Value.String("username")
			tc.Mutate(t, user, inUse)
			next := RandomID("rot2-")
			c.run(0, "stage", next)
			wantIn(t, "deploy", c.run(core.ExitConflict, "deploy", next).Stderr, "grant drift", tc.Refused, "--reconcile-grants")
			wantIn(t, "deploy --reconcile-grants", c.run(0, "deploy", next, "--reconcile-grants").Stdout, tc.Report)
			if tc.Check != nil {
				tc.Check(t, user, inUse)
			}
		})
	}
}

func wantIn(t testing.TB, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: got %q, want it to contain %q", what, got, w)
		}
	}
}
