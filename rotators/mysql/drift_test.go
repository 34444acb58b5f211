package mysql_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// TestAccountDrift: the two users differ in one thing that changes how an
// account behaves besides its privileges; deploy refuses naming it and
// reconciles it (conformance.DriftSuite), after which both have the same
// grants, limits and TLS requirement. Each case fails if its comparison
// is taken out.
func TestAccountDrift(t *testing.T) {
	needServers(t)
	h := harness(t)
	// alter changes the user coming back, or the one in use.
	alter := func(inUse bool, what string) func(t testing.TB, user, other string) {
		return func(t testing.TB, user, other string) {
			if inUse {
				user = other
			}
			adminExec(t, "ALTER USER "+account(user)+" "+what)
		}
	}
	conformance.DriftSuite(t, h, []conformance.DriftCase{
		{Name: "resource limit", Mutate: alter(false, "WITH MAX_USER_CONNECTIONS 3"), Check: sameAccounts,
			Refused: "has in addition resource limit MAX_USER_CONNECTIONS 3", Report: "revoked resource limit MAX_USER_CONNECTIONS 3"},
		{Name: "statement time", Mutate: alter(true, "WITH MAX_STATEMENT_TIME 5"), Check: sameAccounts,
			Refused: "lacks resource limit MAX_STATEMENT_TIME 5.000000", Report: "granted resource limit MAX_STATEMENT_TIME 5.000000"},
		{Name: "TLS requirement", Mutate: alter(true, "REQUIRE SSL"), Check: sameAccounts,
			Refused: "lacks TLS requirement REQUIRE SSL", Report: "granted TLS requirement REQUIRE SSL: ALTER USER"},
		{Name: "role admin option", Mutate: func(t testing.TB, user, other string) {
			role := "lead_" + conformance.RandomID("")
			adminExec(t, "CREATE ROLE "+role, fmt.Sprintf("GRANT %s TO %s WITH ADMIN OPTION", role, adminOf(t, h)),
				fmt.Sprintf("GRANT %s TO %s WITH ADMIN OPTION", role, account(other)), fmt.Sprintf("GRANT %s TO %s", role, account(user)))
		}, Refused: "WITH ADMIN OPTION", Report: "granted role `lead_", Check: sameAccounts},
	})
}

// sameAccounts fails unless both users have the same grants, limits and
// TLS requirement.
func sameAccounts(t testing.TB, user, other string) {
	if got, want := limitsOf(t, user), limitsOf(t, other); got != want {
		t.Errorf("limits and TLS of %s = %q, want %q as %s", user, got, want, other)
	}
	if got, want := grantSet(t, user, user), grantSet(t, other, user); got != want {
		t.Errorf("grants of %s = %q, want as those of %s: %q", user, got, other, want)
	}
}

// grantSet is SHOW GRANTS for user, sorted, with user's name written as
// name, so that two users' grants compare.
func grantSet(t testing.TB, user, name string) string {
	lines := strings.Split(strings.ReplaceAll(showGrants(t, user), "`"+user+"`@", "`"+name+"`@"), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
