package redis_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// usageHarness is the harness with sessions that can be held open.
func usageHarness(t *testing.T) conformance.TargetHarness {
	h := harness(t)
	h.Hold, h.SessionStart = hold, true
	return h
}

// hold opens a connection authenticated with creds and keeps it until release.
func hold(t testing.TB, creds core.Value) func() {
	t.Helper()
	user, _ := creds.String("username")
	pw, _ := creds.String("password")
	c := env.Redis.Client(user, pw)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("hold a session: %v", err)
	}
	var once sync.Once
	release := func() { once.Do(func() { c.Close() }) }
	t.Cleanup(release)
	return release
}

// TestUsage: revoke waits for, and refuses while, connections opened before
// promotion are open (CLIENT LIST); later ones do not count.
func TestUsage(t *testing.T) {
	needServers(t)
	conformance.UsageSuite(t, usageHarness(t))
}

// TestNoLockout: an application reading CURRENT from Vault logs in every
// few milliseconds during a whole rotation; dual never locks it out.
func TestNoLockout(t *testing.T) {
	needServers(t)
	conformance.LockoutSuite(t, usageHarness(t))
}

// TestUndoRemovesPending: a dual rotation rolled back after deploy leaves
// the user with CURRENT's password only; the discarded PENDING is refused.
func TestUndoRemovesPending(t *testing.T) {
	needServers(t)
	h := harness(t)
	r := h.Store.NewRunner(t)
	ref, initial := h.NewAccount(t, r, core.Dual)
	id := conformance.RandomID("rot-")
	sec := []string{"--secret", ref.String(), "--rotation", id}
	admin := append(sec, "--admin-secret", h.AdminRef)
	r.Must(t, 0, "vault-stage", append(sec, "--strategy", "dual")...)
	r.Must(t, 0, "redis-deploy", admin...)
	pending := h.Store.Inspect(t, r, ref).Pending.Value
	r.Must(t, 0, "vault-rollback", sec...)
	undo := r.Must(t, 0, "redis-deploy", append(admin, "--stage", "current")...)
	if !undo.Changed() || !strings.Contains(undo.Stdout, "neither CURRENT nor PREVIOUS") {
		t.Errorf("undo: got changed %v and stdout %q, want the PENDING password removed", undo.Changed(), undo.Stdout)
	}
	if err := login(context.Background(), pending); err == nil {
		t.Error("the discarded PENDING password still logs in")
	}
	if err := login(context.Background(), initial); err != nil {
		t.Errorf("CURRENT no longer logs in: %v", err)
	}
	if again := r.Must(t, 0, "redis-deploy", append(admin, "--stage", "current")...); again.Changed() {
		t.Error("undo run twice: the second run changed something")
	}
}

// TestAlternateRefused: redis has no alternate strategy; deploy says so
// (exit 2) and changes nothing.
func TestAlternateRefused(t *testing.T) {
	needServers(t)
	h := harness(t)
	r := h.Store.NewRunner(t)
	ref, initial := h.NewAccount(t, r, core.Alternate)
	id := conformance.RandomID("rot-")
	sec := []string{"--secret", ref.String(), "--rotation", id}
	r.Must(t, 0, "vault-stage", append(sec, "--strategy", "alternate")...)
	run := r.Must(t, core.ExitUsage, "redis-deploy", append(sec, "--admin-secret", h.AdminRef)...)
	if !strings.Contains(run.Stderr, "alternate is not supported") {
		t.Errorf("got stderr %q, want it to say alternate is not supported", run.Stderr)
	}
	if err := login(context.Background(), initial); err != nil {
		t.Errorf("CURRENT no longer logs in: %v", err)
	}
}
