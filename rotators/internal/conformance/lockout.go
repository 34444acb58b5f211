package conformance

import (
	"context"
	"fmt"
	"strings"
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

// LockoutPlan is an application that does not read the store itself, and
// the rotation that delivers the credential to it, for NoLockout: for
// example pods re-reading a Kubernetes Secret that kubernetes-deploy writes.
type LockoutPlan struct {
	Name string // for the log line, for example postgres+kubernetes
	// Read is what the application reads at each iteration, before it logs
	// in with Login; an error counts as a failed login.
	Read func(ctx context.Context, ref core.Ref) (core.Value, error)
	// Steps are the rotation's steps for a strategy, in order: the
	// target's own (stage, deploy, validate, promote, revoke), or another
	// target's binary with its flags, such as "kubernetes-deploy --stage
	// current", run with --secret (and --rotation but for validate).
	Steps func(s core.Strategy) []string
	// Turns is how many rotations run back to back (0: one); with
	// alternate, the second changes the password of the user the
	// application used before the first.
	Turns int
}

// Lockout is what an application loop saw during one whole rotation.
type Lockout struct {
	Attempts, Failures int
	// Window is the longest failing stretch: from a failed login to the
	// first login that worked after it; 0 when nothing failed.
	Window time.Duration
	LastOK bool // the last login, after the rotation, worked
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
			name := h.Name
			if h.Lockout != nil {
				name = h.Lockout.Name
			}
			t.Logf("no-lockout %s/%s: %s", name, s, got)
			switch {
			case got.Attempts < 20:
				t.Errorf("the application loop logged in only %d times during the rotation", got.Attempts)
			case s != core.Single && got.Failures > 0:
				t.Errorf("strategy %s locked the application out: %s", s, got)
			case got.Window > maxSingleWindow || !got.LastOK:
				t.Errorf("strategy %s: lockout not bounded (the last login worked: %v): %s", s, got.LastOK, got)
			}
		})
	}
}

// NoLockout rotates a fresh account with the real binaries (revoke with
// --grace 20s) while an application loop logs in, every few milliseconds,
// with whatever CURRENT the store holds, read with the store's SDK at each
// iteration (or as h.Lockout says, with its steps). The loop is bounded in
// count and time and ends with the rotation.
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
	steps, turns, id := c.steps(), 1, ""
	if h.Lockout != nil {
		steps, turns = h.Lockout.Steps(s), max(h.Lockout.Turns, 1)
	}
	for range turns {
		id = RandomID("rot-")
		runSteps(c, steps, id)
	}
	time.Sleep(200 * time.Millisecond) // more logins with the final state
	cancel()
	<-done
	c.checkRotated(id)
	return app.result()
}

// runSteps runs one rotation's steps: the target's own or another target's
// ("kubernetes-deploy --stage current"), revoke with --grace 20s.
func runSteps(c *targetCase, steps []string, id string) {
	for _, step := range steps {
		args := strings.Fields(step)
		if other, own, ok := strings.Cut(args[0], "-"); ok { // another target's step
			o := TargetHarness{Name: other, Store: c.h.Store}
			name, a := o.Argv(own, c.ref, id, c.strategy, args[1:]...)
			c.r.Must(c.t, 0, name, a...)
			continue
		}
		if step == "revoke" {
			args = append(args, "--grace", "20s")
		}
		c.run(0, args[0], id, args[1:]...)
	}
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
		lctx, cancel := context.WithTimeout(context.Background(), loginTimeout)
		err := a.login(lctx)
		cancel()
		a.mu.Lock()
		a.attempts = append(a.attempts, attempt{at: start, ok: err == nil})
		a.mu.Unlock()
		time.Sleep(appInterval)
	}
}

// login reads the credential as the application does and logs in with it.
func (a *appLoop) login(ctx context.Context) error {
	if a.h.Lockout == nil {
		return a.h.Login(ctx, a.h.Store.ReadLatest(a.t, a.ref))
	}
	creds, err := a.h.Lockout.Read(ctx, a.ref)
	if err != nil {
		return err
	}
	return a.h.Login(ctx, creds)
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
	var first time.Time // start of the current failing stretch
	for i, at := range a.attempts {
		if at.ok {
			continue
		}
		l.Failures++
		if i == 0 || a.attempts[i-1].ok {
			first = at.at
		}
		end := at.at
		if i+1 < len(a.attempts) {
			end = a.attempts[i+1].at
		}
		l.Window = max(l.Window, end.Sub(first))
	}
	l.LastOK = l.Attempts > 0 && a.attempts[l.Attempts-1].ok
	return l
}
