package mysql_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// usageHarness is the harness with sessions that can be held open.
func usageHarness(t *testing.T) conformance.TargetHarness {
	h := harness(t)
	h.Hold = hold
	return h
}

// hold opens a session with creds and keeps it until release.
func hold(t testing.TB, creds core.Value) func() {
	t.Helper()
	db := open(creds)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("hold a session: %v", err)
	}
	var once sync.Once
	release := func() { once.Do(func() { conn.Close(); db.Close() }) }
	t.Cleanup(release)
	return release
}

// TestUsage: revoke waits for, and refuses while, sessions of the user are
// open (MariaDB does not record when a session opened, so every session
// open when revoke starts counts); the alternate strategy's next deploy
// waits for the sessions of the user whose password it changes.
func TestUsage(t *testing.T) {
	needServers(t)
	conformance.UsageSuite(t, usageHarness(t))
}

// TestNoLockout: an application reading CURRENT from Vault logs in every
// few milliseconds during a whole rotation of each strategy.
func TestNoLockout(t *testing.T) {
	needServers(t)
	conformance.LockoutSuite(t, usageHarness(t))
}

// TestGrantDrift: after a first alternate turn, privileges drift between
// the two users; the next deploy refuses (exit 5) naming the difference,
// and with --reconcile-grants grants what is missing and revokes what is
// extra, saying so.
func TestGrantDrift(t *testing.T) {
	needServers(t)
	h := harness(t)
	r := h.Store.NewRunner(t)
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	user := "app_" + conformance.RandomID("")
	ref, _ := newAccount(t, r, vc, user)
	rot := func(id string, extra ...string) []string {
		return append([]string{"--secret", ref.String(), "--rotation", id}, extra...)
	}
	first := conformance.RandomID("rot1-")
	r.Must(t, 0, "vault-stage", rot(first, "--strategy", "alternate")...)
	r.Must(t, 0, "mysql-deploy", rot(first, "--admin-secret", h.AdminRef)...)
	r.Must(t, 0, "vault-promote", rot(first)...)
	r.Must(t, 0, "mysql-revoke", rot(first, "--admin-secret", h.AdminRef)...)

	adminExec(t, fmt.Sprintf("GRANT INSERT ON %s.* TO %s", appDB, account(user+"_clone")), // added to the user in use
		fmt.Sprintf("GRANT UPDATE (a) ON %s.t TO %s", appDB, account(user))) // only the other one has it

	next := conformance.RandomID("rot2-")
	r.Must(t, 0, "vault-stage", rot(next, "--strategy", "alternate")...)
	deploy := rot(next, "--admin-secret", h.AdminRef)
	refused := r.Must(t, core.ExitConflict, "mysql-deploy", deploy...)
	wantIn(t, "deploy", refused.Stderr, "grant drift", "lacks INSERT ON `"+appDB+"`.*", "has in addition UPDATE (`a`) ON `"+appDB+"`.`t`", "--reconcile-grants")
	done := r.Must(t, 0, "mysql-deploy", append(deploy, "--reconcile-grants")...)
	wantIn(t, "deploy --reconcile-grants", done.Stdout, "granted INSERT ON `"+appDB+"`.*", "revoked UPDATE (`a`) ON `"+appDB+"`.`t`")
	r.Must(t, 0, "mysql-validate", "--secret", ref.String())
	grants := showGrants(t, user)
	if !strings.Contains(grants, "INSERT") || strings.Contains(grants, "UPDATE") {
		t.Errorf("after reconcile: SHOW GRANTS for %s = %q, want INSERT and no UPDATE", user, grants)
	}
}

func showGrants(t testing.TB, user string) string {
	t.Helper()
	db := env.MariaDB.AdminDB(t)
	defer db.Close()
	rows, err := db.Query("SHOW GRANTS FOR " + account(user))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		if i := strings.Index(l, " IDENTIFIED BY"); i >= 0 {
			l = l[:i] // the password hash
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

func wantIn(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: got %q, want it to contain %q", what, got, w)
		}
	}
}
