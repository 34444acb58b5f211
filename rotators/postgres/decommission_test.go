package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/jackc/pgx/v5"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// usageHarness is the Vault harness with sessions that can be held open.
func usageHarness(t *testing.T) conformance.TargetHarness {
	h := harness(t)
	h.Hold, h.SessionStart = hold, true
	return h
}

// hold opens a session with creds and keeps it until release.
func hold(t testing.TB, creds core.Value) func() {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn(creds))
	if err != nil {
		t.Fatalf("hold a session: %v", err)
	}
	var once sync.Once
	release := func() { once.Do(func() { conn.Close(context.Background()) }) }
	t.Cleanup(release)
	return release
}

func dsn(creds core.Value) string {
	user, _ := creds.String("username")
	pw, _ := creds.String("password")
	return fmt.Sprintf("host=127.0.0.1 port=%s dbname=postgres user=%s password=%s sslmode=disable", creds.Text("port"), user, pw)
}

// TestUsage: revoke waits for, and refuses while, sessions that logged in
// with the old password; the alternate strategy's next deploy waits for the
// sessions of the user whose password it changes.
func TestUsage(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL and OpenBao")
	}
	conformance.UsageSuite(t, usageHarness(t))
}

// TestNoLockout: an application reading CURRENT from Vault logs in every
// few milliseconds during a whole rotation of each strategy.
func TestNoLockout(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL and OpenBao")
	}
	conformance.LockoutSuite(t, usageHarness(t))
}

// TestGrantDrift: after a first alternate turn, privileges drift between
// the two users. The next deploy refuses with exit 5 naming the difference;
// with --reconcile-grants it refuses too (exit 5, nothing changed) while the
// difference includes a grant the admin cannot revoke (PostgreSQL revokes
// only what the revoking role granted), and once it does not, grants what is
// missing and revokes what is extra, saying so.
func TestGrantDrift(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL and OpenBao")
	}
	h := harness(t)
	r := h.Store.NewRunner(t)
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	put := func(t testing.TB, name string, v core.Value) core.Ref { return vaulttest.Put(t, vc, name, v) }
	user := "app_" + conformance.RandomID("")
	ref, _ := newAccount(t, r, put, user)
	clone, table, admin := user+"_clone", "drift_"+conformance.RandomID(""), adminRole(t, vc, h.AdminRef)
	rot := func(id string, extra ...string) []string {
		return append([]string{"--secret", ref.String(), "--rotation", id}, extra...)
	}
	first := conformance.RandomID("rot1-")
	r.Must(t, 0, "vault-stage", rot(first, "--strategy", "alternate")...)
	r.Must(t, 0, "postgres-deploy", rot(first, "--admin-secret", h.AdminRef)...)
	r.Must(t, 0, "vault-promote", rot(first)...)
	r.Must(t, 0, "postgres-revoke", rot(first, "--admin-secret", h.AdminRef)...)

	adminExec(t, fmt.Sprintf("CREATE TABLE %s (a int)", table))
	adminExec(t, fmt.Sprintf("GRANT SELECT, INSERT, UPDATE ON %s TO %s WITH GRANT OPTION", table, admin))
	adminExec(t, fmt.Sprintf("GRANT SELECT ON %s TO %s", table, clone)) // added to the user in use
	adminExec(t, fmt.Sprintf("GRANT INSERT ON %s TO %s", table, user))  // by the owner: the admin cannot revoke it

	next := conformance.RandomID("rot2-")
	r.Must(t, 0, "vault-stage", rot(next, "--strategy", "alternate")...)
	deploy := rot(next, "--admin-secret", h.AdminRef)
	wantIn(t, "deploy", r.Must(t, core.ExitConflict, "postgres-deploy", deploy...).Stderr,
		"grant drift", "lacks SELECT ON TABLE "+table, "has in addition INSERT ON TABLE "+table, "--reconcile-grants")
	wantIn(t, "deploy --reconcile-grants", r.Must(t, core.ExitConflict, "postgres-deploy", append(deploy, "--reconcile-grants")...).Stderr,
		"could not make the privileges", "INSERT ON TABLE "+table, "nothing was changed")

	adminExec(t, fmt.Sprintf("REVOKE INSERT ON %s FROM %s", table, user))
	adminExec(t, fmt.Sprintf("SET ROLE %s; GRANT UPDATE ON %s TO %s", admin, table, user)) // by the admin: revocable
	wantIn(t, "deploy --reconcile-grants", r.Must(t, 0, "postgres-deploy", append(deploy, "--reconcile-grants")...).Stdout,
		"granted SELECT ON TABLE "+table, "revoked UPDATE ON TABLE "+table)
	r.Must(t, 0, "postgres-validate", "--secret", ref.String())
	var sel, upd bool
	queryRow(t, fmt.Sprintf("SELECT has_table_privilege('%s', '%s', 'SELECT'), has_table_privilege('%s', '%s', 'UPDATE')", user, table, user, table), &sel, &upd)
	if !sel || upd {
		t.Errorf("after reconcile: %s has SELECT %v, UPDATE %v; want true and false, as %s", user, sel, upd, clone)
	}
}

func wantIn(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: got %q, want it to contain %q", what, got, w)
		}
	}
}

// adminRole reads the rotation admin's role name from its secret.
func adminRole(t *testing.T, vc *api.Client, adminRef string) string {
	t.Helper()
	ref, err := core.ParseRef(adminRef)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := vc.KVv2(ref.Host).Get(context.Background(), ref.Path)
	if err != nil {
		t.Fatalf("read the admin secret: %v", err)
	}
	name, _ := sec.Data["username"].(string)
	return name
}

func queryRow(t *testing.T, sql string, dest ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, env.PG.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, sql).Scan(dest...); err != nil {
		t.Fatalf("query: %v", err)
	}
}
