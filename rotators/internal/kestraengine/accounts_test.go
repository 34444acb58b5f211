package kestraengine

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// storeCases are the executions each store's PostgreSQL flow gets: a
// rotation, and a wrong admin secret through errors:.
var storeCases = []struct {
	name       string
	wrongAdmin bool
	wantState  string
	wantTasks  map[string]string
}{
	{"single", false, "SUCCESS", map[string]string{"stage": "SUCCESS", "deploy": "SUCCESS", "validate": "SUCCESS",
		"promote": "SUCCESS", "revoke": "SUCCESS", "verify_old_refused": "SUCCESS"}},
	{"wrong admin secret, errors branch", true, "FAILED", map[string]string{"stage": "SUCCESS", "deploy": "FAILED", "rollback": "SUCCESS"}},
}

// pgAccount is a PostgreSQL login role and a CREATEROLE admin; storedAdminPW
// is the admin password as the store holds it (a wrong one when asked).
type pgAccount struct {
	user, initial, adminUser, adminPW, storedAdminPW string
}

func newPGAccount(t *testing.T, wrongAdmin bool) pgAccount {
	t.Helper()
	a := pgAccount{user: "app_" + conformance.RandomID(""), initial: conformance.RandomID("initial-"),
		adminUser: "rotator_" + conformance.RandomID(""), adminPW: conformance.RandomID("admin-")}
	env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN CREATEROLE PASSWORD '%s'", a.adminUser, a.adminPW))
	env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", pgx.Identifier{a.user}.Sanitize(), a.initial))
	a.storedAdminPW = a.adminPW
	if wrongAdmin {
		a.storedAdminPW = conformance.RandomID("wrong-")
	}
	return a
}

// judge checks the store's CURRENT password cur from outside: a new one
// that logs in with the old refused, or (not rotated) nothing changed.
func (a pgAccount) judge(t *testing.T, cur string, rotated bool) {
	t.Helper()
	f := &pgFixture{user: a.user}
	if !rotated {
		if cur != a.initial || !f.logsIn(a.initial) {
			t.Errorf("want CURRENT and PostgreSQL unchanged")
		}
	} else if cur == a.initial || !f.logsIn(cur) || f.logsIn(a.initial) {
		t.Errorf("want a new CURRENT that logs in and the old password refused: changed %v, new logs in %v, old logs in %v", cur != a.initial, f.logsIn(cur), f.logsIn(a.initial))
	}
}

// values are the account's secret values, for the leak scan.
func (a pgAccount) values() []string {
	return []string{a.initial, a.adminPW, a.storedAdminPW, env.PG.AdminPassword, flowToken}
}
