package kestraengine

import (
	"strconv"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// newRedisFixture creates a Redis ACL user and an ACL admin with the
// documented rights, both credentials in Vault under the engine's prefix.
func newRedisFixture(t *testing.T, adminPasswordWrong bool) *pgFixture {
	t.Helper()
	f := &pgFixture{vc: vaulttest.Client(t, env.Bao.Addr, env.Bao.Token), user: "app_" + conformance.RandomID("")}
	id := conformance.RandomID("")
	f.initial = conformance.RandomID("initial-")
	adminUser, adminPW := "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-")
	env.Redis.RotationUsers(t, f.user, f.initial, adminUser, adminPW)
	storedAdminPW := adminPW
	if adminPasswordWrong {
		storedAdminPW = conformance.RandomID("wrong-")
	}
	v := func(u, p string) core.Value {
		return core.Value{}.With("engine", "redis").With("host", "127.0.0.1").With("port", strconv.Itoa(env.Redis.Port)).
			With("username", u).With("password", p)
	}
	f.path = prefix + id + "/redis"
	f.secretRef = vaulttest.Put(t, f.vc, f.path, v(f.user, f.initial)).String()
	f.adminRef = vaulttest.Put(t, f.vc, "rotation-admin/"+prefix+id+"/redis", v(adminUser, storedAdminPW)).String()
	f.seen = []string{f.initial, adminPW, storedAdminPW, env.Redis.AdminPassword, env.Bao.Token, flowToken}
	return f
}

func redisLogsIn(user, password string) bool { return logsIn(env.Redis, user, password) }

// TestRedisVault runs flows/redis-acl-password-vault.yaml (dual) in
// Kestra's engine: a rotation, and a wrong admin secret through errors.
func TestRedisVault(t *testing.T) {
	k := kestra(t)
	tests := []struct {
		name       string
		wrongAdmin bool
		wantState  string
		wantTasks  map[string]string
		wantNew    bool
	}{
		{"dual", false, "SUCCESS", map[string]string{"stage": "SUCCESS", "deploy": "SUCCESS", "validate": "SUCCESS",
			"promote": "SUCCESS", "revoke": "SUCCESS", "verify_old_refused": "SUCCESS"}, true},
		// The errors branch runs: redis-deploy --stage current finds CURRENT
		// working and Redis refusing PENDING, so it needs no admin login and
		// succeeds; vault-rollback then discards PENDING.
		{"wrong admin secret, errors branch", true, "FAILED", map[string]string{"stage": "SUCCESS", "deploy": "FAILED", "rollback": "SUCCESS"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRedisFixture(t, tt.wrongAdmin)
			_, before := f.current(t)
			x := k.run(t, "flows/redis-acl-password-vault.yaml", nil, map[string]string{
				"secret": f.secretRef, "admin_secret": f.adminRef, "grace": "5s"})
			x.check(t, "redis-acl-password-vault ("+tt.name+")", tt.wantState, tt.wantTasks)
			if tt.wrongAdmin && (!x.logged("rollback", "rolled back: PENDING discarded") || !x.logged("rollback", "the discarded PENDING never did")) {
				t.Errorf("want the undo to find nothing to remove and rollback to discard PENDING\n%s", x)
			}
			cur, after := f.current(t)
			if tt.wantNew {
				if after != before+1 || cur == f.initial || !redisLogsIn(f.user, cur) || redisLogsIn(f.user, f.initial) {
					t.Errorf("got version %d (was %d); want a new CURRENT that logs in and the old password refused", after, before)
				}
			} else if after != before || cur != f.initial || !redisLogsIn(f.user, f.initial) {
				t.Errorf("got version %d (was %d), initial logs in %v; want Vault and Redis unchanged", after, before, redisLogsIn(f.user, f.initial))
			}
			scan(t, x, append(f.seen, cur))
		})
	}
}

// TestSubflowRedis runs flows/rotate-cache-redis-password.yaml, the thin
// flow that calls rotate-secret with target redis and strategy dual, and
// follows the child execution; Vault and Redis judge the result.
func TestSubflowRedis(t *testing.T) {
	k := kestra(t)
	f := newRedisFixture(t, false)
	_, before := f.current(t)
	x := k.run(t, "flows/rotate-cache-redis-password.yaml", []string{"flows/rotate-secret.yaml"},
		map[string]string{"secret": f.secretRef, "admin_secret": f.adminRef})
	x.row(t, "rotate-cache-redis-password -> rotate-secret")
	tr := rotatedThroughSubflow(t, x)
	if got := tr.Child.label("target"); got != "redis" {
		t.Errorf("child label target: got %q, want redis", got)
	}
	cur, after := f.current(t)
	if after != before+1 || cur == f.initial || !redisLogsIn(f.user, cur) || redisLogsIn(f.user, f.initial) {
		t.Errorf("got version %d (was %d); want a new CURRENT that logs in and the old password refused", after, before)
	}
	scan(t, x, append(f.seen, cur))
}
