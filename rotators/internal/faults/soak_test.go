package faults

import (
	"context"
	"math/rand"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// Soak bounds, overridable for longer local runs: ROTATE_SOAK_ROTATIONS,
// ROTATE_SOAK_TIME (a duration) and ROTATE_SOAK_SEED (to replay a run).
const (
	soakRotations = 60
	soakTime      = 90 * time.Second
	killChance    = 0.4                   // of each step run being killed
	killWithin    = 60 * time.Millisecond // kills land uniformly in [0, killWithin): steps take tens of ms here
	rollbackOdds  = 0.2                   // of a rotation being undone after deploy or validate
	maxAttempts   = 25                    // runs of one step before the soak gives up on it
)

// soak is the state of one crash soak run.
type soak struct {
	t   *testing.T
	rng *rand.Rand
	r   *conformance.Runner
	h   conformance.TargetHarness

	rotations, rollbacks, runs, kills, checks, violations int
	windowFails                                           int           // single: CURRENT refused between deploy and promote or undo
	window                                                time.Duration // single: longest deploy-to-promote window
	perStrategy                                           map[core.Strategy]int
	killsPerStep                                          map[string]int
}

// TestCrashSoak rotates PostgreSQL passwords kept in OpenBao (alternate and
// single in turn) with every step run as a process that is killed with
// SIGKILL at a random point with some probability, then re-run with the same
// rotation id until it completes. After every run an invariant checker logs
// in with CURRENT read from the store: it must always work for alternate,
// and for single outside the deploy-to-promote window (failures inside it
// are counted apart). After a rollback no PENDING may be left.
func TestCrashSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("needs OpenBao and PostgreSQL")
	}
	n, limit, seed := soakEnv(t)
	t.Logf("soak seed %d (replay with ROTATE_SOAK_SEED=%d), up to %d rotations or %s", seed, seed, n, limit)
	pg := postgresKit()
	s := &soak{t: t, rng: rand.New(rand.NewSource(seed)), perStrategy: map[core.Strategy]int{}, killsPerStep: map[string]int{}}
	s.h = harnessOf(t, vaultKit(t), pg, strconv.Itoa(env.PG.Port))
	s.r = s.h.Store.NewRunner(t, s.h.Env...)
	type account struct {
		ref core.Ref
		st  core.Strategy
	}
	var accounts []account
	for _, st := range []core.Strategy{core.Alternate, core.Single} {
		ref, _ := s.h.NewAccount(t, s.r, st)
		accounts = append(accounts, account{ref, st})
	}
	start := time.Now()
	for i := 0; i < n && time.Since(start) < limit && !t.Failed(); i++ {
		a := accounts[i%len(accounts)]
		s.rotate(a.ref, a.st)
	}
	t.Logf("soak: %d rotations (alternate %d, single %d; %d undone by rollback) in %s: %d step runs, %d SIGKILLs, "+
		"%d invariant checks, %d violations; single: %d refused logins inside the deploy-to-promote window (longest window %s)",
		s.rotations, s.perStrategy[core.Alternate], s.perStrategy[core.Single], s.rollbacks, time.Since(start).Round(time.Millisecond),
		s.runs, s.kills, s.checks, s.violations, s.windowFails, s.window.Round(time.Millisecond))
	t.Logf("soak: SIGKILLs per step: %v", s.killsPerStep)
	if s.violations > 0 {
		t.Errorf("%d invariant violations (seed %d)", s.violations, seed)
	}
	if s.kills == 0 || s.rotations == 0 {
		t.Errorf("soak did nothing: %d rotations, %d kills", s.rotations, s.kills)
	}
}

func soakEnv(t *testing.T) (n int, limit time.Duration, seed int64) {
	n, limit, seed = soakRotations, soakTime, time.Now().UnixNano()
	var err error
	if v := os.Getenv("ROTATE_SOAK_ROTATIONS"); v != "" {
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("ROTATE_SOAK_ROTATIONS=%q: %v", v, err)
		}
	}
	if v := os.Getenv("ROTATE_SOAK_TIME"); v != "" {
		if limit, err = time.ParseDuration(v); err != nil {
			t.Fatalf("ROTATE_SOAK_TIME=%q: %v", v, err)
		}
	}
	if v := os.Getenv("ROTATE_SOAK_SEED"); v != "" {
		if seed, err = strconv.ParseInt(v, 10, 64); err != nil {
			t.Fatalf("ROTATE_SOAK_SEED=%q: %v", v, err)
		}
	}
	return n, limit, seed
}

// rotate runs one rotation of ref, or with rollbackOdds undoes it after
// deploy or validate.
func (s *soak) rotate(ref core.Ref, st core.Strategy) {
	id := conformance.RandomID("soak-")
	steps := []string{"stage", "deploy", "validate", "promote", "revoke"}
	undo := s.rng.Float64() < rollbackOdds
	if undo {
		steps = append(steps[:2+s.rng.Intn(2)], "rollback", "undo")
	}
	var windowStart time.Time
	for _, step := range steps {
		if step == "deploy" {
			windowStart = time.Now()
		}
		s.complete(ref, st, id, step, !windowStart.IsZero())
		if step == "promote" || step == "undo" {
			s.window = max(s.window, time.Since(windowStart))
			windowStart = time.Time{}
		}
	}
	stages := s.h.Store.Inspect(s.t, s.r, ref)
	switch {
	case !stages.Pending.Value.IsZero():
		s.violation("rotation %s of %s ended with PENDING left", id, st)
	case !undo && stages.Current.Rotation != id:
		s.violation("rotation %s of %s ended with CURRENT made by %q", id, st, stages.Current.Rotation)
	}
	s.rotations++
	s.perStrategy[st]++
	if undo {
		s.rollbacks++
	}
}

// complete runs step until it exits 0, each run killed at a random point
// with killChance, and checks the invariant after every run. inWindow is
// set between deploy and promote (or the undo).
func (s *soak) complete(ref core.Ref, st core.Strategy, id, step string, inWindow bool) {
	name, args := s.h.Argv(step, ref, id, st)
	if step == "undo" {
		name, args = s.h.Argv("deploy", ref, id, st, "--stage", "current")
	}
	for range maxAttempts {
		s.runs++
		var run conformance.Run
		if s.rng.Float64() < killChance {
			run = s.r.Kill(s.t, time.Duration(s.rng.Int63n(int64(killWithin))), name, args...)
		} else {
			run = s.r.Exec(s.t, "", name, args...)
		}
		if run.Killed {
			s.kills++
			s.killsPerStep[step]++
		}
		s.check(ref, st, step, inWindow, !run.Killed && run.Code == 0)
		switch {
		case run.Killed:
		case run.Code == 0:
			return
		default:
			s.violation("%s of rotation %s (%s) failed after earlier kills: %s", step, id, st, run)
			return
		}
	}
	s.violation("%s of rotation %s never completed in %d runs", step, id, maxAttempts)
}

// check logs in with CURRENT as read from the store; once rollback has
// completed it also wants no PENDING.
func (s *soak) check(ref core.Ref, st core.Strategy, step string, inWindow, done bool) {
	s.checks++
	stages := s.h.Store.Inspect(s.t, s.r, ref)
	if (step == "rollback" && done || step == "undo") && !stages.Pending.Value.IsZero() {
		s.violation("PENDING left after rollback")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.h.Login(ctx, stages.Current.Value)
	switch {
	case err == nil:
	case st == core.Single && inWindow:
		s.windowFails++
	default:
		s.violation("after %s (%s): CURRENT does not log in: %v", step, st, err)
	}
}

func (s *soak) violation(format string, args ...any) {
	s.t.Helper()
	s.violations++
	s.t.Errorf(format, args...)
}
