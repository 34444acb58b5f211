package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// TestRoleDrift: the two roles differ in one property that changes how a
// session behaves or whether it may log in; deploy refuses naming it and
// reconciles it (conformance.DriftSuite; the reconcile checks the result
// inside its transaction). Each case fails if its comparison is taken out.
func TestRoleDrift(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL and OpenBao")
	}
	q := func(s string) string { return pgx.Identifier{s}.Sanitize() }
	// alter runs ALTER ROLE on the role coming back, or on the one in use.
	alter := func(inUse bool, what string) func(t testing.TB, user, other string) {
		return func(t testing.TB, user, other string) {
			if inUse {
				user = other
			}
			adminExec(t, "ALTER ROLE "+q(user)+" "+what)
		}
	}
	conformance.DriftSuite(t, harness(t), []conformance.DriftCase{
		{Name: "setting", Mutate: alter(true, "SET statement_timeout = '7s'"),
			Refused: "lacks setting statement_timeout=7s", Report: "granted setting statement_timeout=7s: ALTER ROLE"},
		{Name: "list setting", Mutate: alter(true, `SET search_path = "$user", public`),
			Refused: `lacks setting search_path="$user", public`, Report: "FROM CURRENT"},
		{Name: "setting in a database", Mutate: alter(false, "IN DATABASE postgres SET work_mem = '5MB'"),
			Refused: `has in addition setting work_mem=5MB in database "postgres"`, Report: "revoked setting work_mem=5MB in database"},
		{Name: "connection limit", Mutate: alter(false, "CONNECTION LIMIT 9"),
			Refused: "has in addition CONNECTION LIMIT 9", Report: "revoked CONNECTION LIMIT 9: ALTER ROLE"},
		{Name: "valid until", Mutate: alter(true, "VALID UNTIL '2998-01-01 00:00:00+00'"),
			Refused: "lacks VALID UNTIL 2998-01-01", Report: "granted VALID UNTIL 2998-01-01"},
		{Name: "membership admin option", Mutate: func(t testing.TB, user, other string) {
			adminExec(t, "GRANT "+q(user+"_group")+" TO "+q(other)+" WITH ADMIN OPTION")
		}, Refused: "lacks ADMIN OPTION on role", Report: "granted ADMIN OPTION on role"},
	})
}
