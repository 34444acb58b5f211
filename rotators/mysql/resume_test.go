package mysql_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// TestAlternateResumesAfterRefusal: an admin short of the documented
// grants for roles gets the clone of an account with a default role
// refused half-way, with exit 2 naming the server's refusal: first without
// the role WITH ADMIN OPTION (GRANT role), then without UPDATE ON mysql.*
// (SET DEFAULT ROLE ... FOR). The half-made clone stays locked; once the
// grant is there, the same deploy completes it, and it behaves as the
// account it copies.
func TestAlternateResumesAfterRefusal(t *testing.T) {
	needServers(t)
	h := harness(t)
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	r := h.Store.NewRunner(t)
	ref, initial := newRichAccount(t, r, vc, adminOf(t, h)) // the role's ADMIN OPTION goes to the harness's admin
	user, _ := initial.String("username")
	weak, weakRef := weakAdmin(t, r, vc)
	id := conformance.RandomID("rot-")
	sec := []string{"--secret", ref.String(), "--rotation", id}
	deploy := append(append([]string{}, sec...), "--admin-secret", weakRef)
	r.Must(t, 0, "vault-stage", append(sec, "--strategy", "alternate")...)
	pending := h.Store.Inspect(t, r, ref).Pending.Value
	for _, step := range []struct{ refused, fix string }{
		{"error 1698", fmt.Sprintf("GRANT %s_reader TO %s WITH ADMIN OPTION", user, weak)},
		{"error 1044", "GRANT UPDATE ON mysql.* TO " + weak},
	} {
		wantIn(t, "deploy", r.Must(t, core.ExitUsage, "mysql-deploy", deploy...).Stderr, "permission denied", step.refused)
		if err := login(context.Background(), pending); err == nil {
			t.Errorf("after a refused deploy (%s): the half-made clone logs in", step.refused)
		}
		adminExec(t, step.fix)
	}
	r.Must(t, 0, "mysql-deploy", deploy...)
	r.Must(t, 0, "mysql-validate", sec[:2]...)
	if got, want := behaviour(t, pending), behaviour(t, initial); got != want {
		t.Errorf("the clone behaves as\n%s\nwant, as the account it copies:\n%s", got, want)
	}
}

// weakAdmin creates an admin with the documented grants but those for
// roles (no role WITH ADMIN OPTION, no UPDATE ON mysql.*) and stores its
// credential; it returns the account and the secret's reference.
func weakAdmin(t *testing.T, r *conformance.Runner, vc *api.Client) (acct, ref string) {
	user, pw := "weak_"+conformance.RandomID(""), conformance.RandomID("weak-pw-")
	r.Secret(pw)
	acct = account(user)
	adminExec(t, fmt.Sprintf("CREATE USER %s IDENTIFIED BY '%s'", acct, pw), "GRANT CREATE USER, PROCESS ON *.* TO "+acct,
		"GRANT SELECT ON mysql.* TO "+acct, fmt.Sprintf("GRANT SELECT, INSERT, UPDATE, DELETE ON %s.* TO %s WITH GRANT OPTION", appDB, acct))
	return acct, vaulttest.Put(t, vc, "rotation-admin/weak-"+conformance.RandomID(""), dbValue(user, pw)).String()
}
