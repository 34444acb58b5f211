package mysql_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// TestDualRefusedOnMariaDB: MariaDB has no dual passwords. deploy finds out
// from the server's version, says so and exits 2 before changing anything;
// the flow's undo (rollback, deploy --stage current) leaves CURRENT working.
func TestDualRefusedOnMariaDB(t *testing.T) {
	needServers(t)
	h := harness(t)
	r := h.Store.NewRunner(t)
	ref, initial := h.NewAccount(t, r, core.Dual)
	id := conformance.RandomID("rot-")
	sec := []string{"--secret", ref.String(), "--rotation", id}
	admin := append(sec, "--admin-secret", h.AdminRef)
	r.Must(t, 0, "vault-stage", append(sec, "--strategy", "dual")...)
	run := r.Must(t, core.ExitUsage, "mysql-deploy", admin...)
	for _, want := range []string{"MariaDB", "RETAIN CURRENT PASSWORD", "nothing was changed", "--strategy single or alternate"} {
		if !strings.Contains(run.Stderr, want) {
			t.Errorf("got stderr %q, want it to contain %q", run.Stderr, want)
		}
	}
	if err := login(context.Background(), h.Store.Inspect(t, r, ref).Pending.Value); err == nil {
		t.Error("PENDING logs in: deploy changed the account")
	}
	r.Must(t, 0, "vault-rollback", sec...)
	r.Must(t, 0, "mysql-deploy", append(admin, "--stage", "current")...)
	if err := login(context.Background(), initial); err != nil {
		t.Errorf("CURRENT no longer logs in: %v", err)
	}
}

// TestRotateWithoutAdmin: single, no --admin-secret: the account changes its
// own password (SET PASSWORD, which needs no privilege). Names full of
// quotes, backslashes and backticks cannot inject anything.
func TestRotateWithoutAdmin(t *testing.T) {
	needServers(t)
	tests := []struct{ name, user string }{
		{"plain user", "app_" + conformance.RandomID("")},
		{"hostile user name", `ev'il\` + "`" + `"; DROP USER root; -- ` + conformance.RandomID("")},
	}
	h := harness(t)
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Store.NewRunner(t)
			ref, initial := newAccount(t, r, vc, tc.user)
			id := conformance.RandomID("rot-")
			sec := []string{"--secret", ref.String()}
			rot := append(sec, "--rotation", id)
			for _, step := range [][]string{
				append([]string{"vault-stage"}, rot...),
				append([]string{"mysql-deploy"}, rot...),
				append([]string{"mysql-validate"}, sec...),
				append([]string{"vault-promote"}, rot...),
				append([]string{"mysql-revoke"}, rot...),
				append([]string{"mysql-validate", "--stage", "previous", "--expect-reject"}, sec...),
			} {
				r.Must(t, 0, step[0], step[1:]...)
			}
			if err := login(context.Background(), h.Store.Inspect(t, r, ref).Current.Value); err != nil {
				t.Errorf("CURRENT does not log in: %v", err)
			}
			if err := login(context.Background(), initial); err == nil {
				t.Error("the old password still logs in")
			}
			adminExec(t, "SELECT 1") // root still there
		})
	}
}

// TestPasswordNotInServerLog: the server's general query log, which records
// every statement, holds neither the old nor the new password after a
// rotation of each strategy (MariaDB gets the password's hash).
func TestPasswordNotInServerLog(t *testing.T) {
	needServers(t)
	h := harness(t)
	for _, s := range []core.Strategy{core.Single, core.Alternate} {
		r := h.Store.NewRunner(t)
		ref, _ := h.NewAccount(t, r, s) // its initial password is in the log: the test set it in clear
		id := conformance.RandomID("rot-")
		sec := []string{"--secret", ref.String(), "--rotation", id}
		admin := append(sec, "--admin-secret", h.AdminRef)
		r.Must(t, 0, "vault-stage", append(sec, "--strategy", string(s))...)
		r.Must(t, 0, "mysql-deploy", admin...)
		r.Must(t, 0, "vault-promote", sec...)
		r.Must(t, 0, "mysql-revoke", admin...)
		log, err := os.ReadFile(env.MariaDB.GeneralLog)
		if err != nil {
			t.Fatal(err)
		}
		newPW, _ := h.Store.Inspect(t, r, ref).Current.Value.String("password")
		if !strings.Contains(string(log), "IDENTIFIED BY PASSWORD") {
			t.Errorf("%s: the general log has no ALTER USER ... IDENTIFIED BY PASSWORD: is it on?", s)
		}
		if strings.Contains(string(log), newPW) {
			t.Errorf("%s: the new password is in the server's general query log", s)
		}
	}
}

// TestAlternateHostileName: the alternate strategy reads SHOW GRANTS back
// for names with quotes, backslashes and backticks, and copies the grants.
func TestAlternateHostileName(t *testing.T) {
	needServers(t)
	h := harness(t)
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	r := h.Store.NewRunner(t)
	ref, _ := newAccount(t, r, vc, `al'	`+"`"+`er "x" `+conformance.RandomID(""))
	for i := range 2 {
		id := conformance.RandomID("rot-")
		sec := []string{"--secret", ref.String(), "--rotation", id}
		admin := append(sec, "--admin-secret", h.AdminRef)
		r.Must(t, 0, "vault-stage", append(sec, "--strategy", "alternate")...)
		r.Must(t, 0, "mysql-deploy", admin...)
		r.Must(t, 0, "mysql-validate", sec[:2]...)
		r.Must(t, 0, "vault-promote", sec...)
		r.Must(t, 0, "mysql-revoke", admin...)
		if err := login(context.Background(), h.Store.Inspect(t, r, ref).Current.Value); err != nil {
			t.Errorf("turn %d: CURRENT cannot read the app database: %v", i+1, err)
		}
	}
}
