package conformance

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Bounds of the application loop of NoLockout.
const (
	appInterval    = 3 * time.Millisecond // pause between two logins
	appMaxAttempts = 20000
	appMaxDuration = 3 * time.Minute
	appWarmUp      = 10 // logins before the rotation starts
	loginTimeout   = 5 * time.Second
	// maxSingleWindow bounds the lockout of the single strategy: the time
	// from deploy to promote, a few process runs here.
	maxSingleWindow = 30 * time.Second
)

// Lockout is what an application loop saw during one whole rotation.
type Lockout struct {
	Attempts, Failures int
	// Window is the time from the first failed login to the first login
	// that worked after the last failure; 0 when nothing failed.
	Window time.Duration
}

func (l Lockout) String() string {
	return fmt.Sprintf("%d of %d logins failed, failing window %d ms", l.Failures, l.Attempts, l.Window.Milliseconds())
}

// LockoutSuite runs NoLockout for each strategy of h: alternate and dual
// must never fail a login; single's failing window is logged and must be
// bounded.
func LockoutSuite(t *testing.T, h TargetHarness) {
	for _, s := range h.Strategies {
		t.Run(string(s), func(t *testing.T) {
			got := NoLockout(t, h, s)
			t.Logf("no-lockout %s/%s: %s", h.Name, s, got)
			switch {
			case got.Attempts < 20:
				t.Errorf("the application loop logged in only %d times during the rotation", got.Attempts)
			case s != core.Single && got.Failures > 0:
				t.Errorf("strategy %s locked the application out: %s", s, got)
			case got.Window > maxSingleWindow || got.Failures == got.Attempts:
				t.Errorf("strategy %s: lockout not bounded: %s", s, got)
			}
		})
	}
}

// NoLockout rotates a fresh account with the real binaries (revoke with
// --grace 20s) while an application loop logs in, every few milliseconds,
// with whatever CURRENT the store holds, read with the store's SDK at each
// iteration. The loop is bounded in count and time and ends with the
// rotation.
func NoLockout(t *testing.T, h TargetHarness, s core.Strategy) Lockout {
	r := h.Store.NewRunner(t, h.Env...)
	ref, v := h.NewAccount(t, r, s)
	c := &targetCase{t: t, h: h, r: r, strategy: s, ref: ref, initial: v}
	ctx, cancel := context.WithTimeout(context.Background(), appMaxDuration)
	defer cancel()
	app := &appLoop{h: h, ref: ref, t: t}
	done := make(chan struct{})
	go func() { defer close(done); app.run(ctx) }()
	app.waitStarted(ctx)
	id := RandomID("rot-")
	for _, step := range c.steps() {
		if step == "revoke" {
			c.run(0, step, id, "--grace", "20s")
		} else {
			c.run(0, step, id)
		}
	}
	time.Sleep(200 * time.Millisecond) // more logins with the final state
	cancel()
	<-done
	c.checkRotated(id)
	return app.result()
}

// appLoop is the application: read CURRENT, log in, again.
type appLoop struct {
	h   TargetHarness
	ref core.Ref
	t   testing.TB

	mu       sync.Mutex
	attempts []attempt
}

type attempt struct {
	at time.Time
	ok bool
}

func (a *appLoop) run(ctx context.Context) {
	for i := 0; i < appMaxAttempts && ctx.Err() == nil; i++ {
		start := time.Now()
		creds := a.h.Store.ReadLatest(a.t, a.ref)
		lctx, cancel := context.WithTimeout(context.Background(), loginTimeout)
		err := a.h.Login(lctx, creds)
		cancel()
		a.mu.Lock()
		a.attempts = append(a.attempts, attempt{at: start, ok: err == nil})
		a.mu.Unlock()
		time.Sleep(appInterval)
	}
}

// waitStarted waits for the loop's first few logins.
func (a *appLoop) waitStarted(ctx context.Context) {
	for ctx.Err() == nil {
		a.mu.Lock()
		n := len(a.attempts)
		a.mu.Unlock()
		if n >= appWarmUp {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func (a *appLoop) result() Lockout {
	a.mu.Lock()
	defer a.mu.Unlock()
	l := Lockout{Attempts: len(a.attempts)}
	var first, end time.Time
	for i, at := range a.attempts {
		if at.ok {
			continue
		}
		l.Failures++
		if first.IsZero() {
			first = at.at
		}
		end = at.at
		if i+1 < len(a.attempts) {
			end = a.attempts[i+1].at
		}
	}
	if l.Failures > 0 {
		l.Window = end.Sub(first)
	}
	return l
}
