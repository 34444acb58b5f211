package step

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Polling bounds of the usage gate: it polls grace/pollSteps apart, but
// never more often than minPoll nor less often than maxPoll.
const (
	pollSteps   = 20
	minPoll     = 200 * time.Millisecond
	maxPoll     = 2 * time.Second
	maxListed   = 5 // sessions named in an error or log line
	graceMargin = 5 * time.Second
	// settle is the least the gate waits, even with --grace 0: a session a
	// client has just closed can stay listed for a moment while the server
	// tears it down.
	settle = time.Second
)

// gate is one usage check: which credential, and what it guards.
type gate struct {
	req  core.UsageRequest
	what string // for messages: "the previous password of postgres role "app" at ..."
}

// usage is what a gate found.
type usage struct {
	found  int           // sessions found at the first look
	left   int           // still open when the gate gave up (or was forced)
	waited time.Duration // how long it waited
}

// checkGrace refuses a --grace that --timeout would cut short.
func checkGrace(o Options) error {
	if o.Grace > 0 && o.Grace+graceMargin > o.Timeout {
		return fmt.Errorf("%w: --grace %s needs a --timeout longer than %s (it is %s)", core.ErrUsage, o.Grace, o.Grace+graceMargin, o.Timeout)
	}
	return nil
}

// awaitUnused is the decommission gate: it lists the sessions that g
// selects and waits up to --grace (at least a second, for sessions being
// torn down), polling, for every one of them to end.
// Sessions that open later never count: only those of the first look are
// waited for. When some remain it refuses with ErrConflict naming them,
// unless --force, which logs them and lets the caller go on. A dry run
// looks once and says what a real run would do. Targets that cannot list
// sessions are not checked, and the log says so.
func awaitUnused(ctx context.Context, t core.Target, g gate, e *Env) (usage, error) {
	uc, ok := t.(core.UsageChecker)
	if !ok {
		e.Log.Info("usage check: this target cannot list sessions; not checked", "credential", g.what)
		return usage{}, nil
	}
	first, err := uc.Sessions(ctx, g.req)
	if err != nil {
		return usage{}, fmt.Errorf("list sessions using %s: %w", g.what, err)
	}
	u := usage{found: len(first), left: len(first)}
	if len(first) == 0 {
		e.Log.Info("usage check: no session uses it", "credential", g.what)
		return u, nil
	}
	e.Log.Info("usage check: still in use", "credential", g.what, "sessions", len(first), "list", listSessions(first))
	if e.Opts.DryRun {
		e.Log.Info(fmt.Sprintf("plan: wait up to --grace %s for them to end, then refuse (exit 5) unless --force", e.Opts.Grace))
		return u, nil
	}
	left, waited, err := pollUntilGone(ctx, uc, g.req, first, max(e.Opts.Grace, settle))
	u.left, u.waited = len(left), waited
	if err != nil || len(left) == 0 {
		return u, err
	}
	if e.Opts.Force {
		e.Audit("going on while in use (--force)", "credential", g.what, "sessions", len(left), "list", listSessions(left))
		return u, nil
	}
	return u, fmt.Errorf("%w: %s is still in use by %d session(s) after --grace %s: %s; let them reconnect with the new value and run again (or raise --grace), or go on anyway with --force",
		core.ErrConflict, g.what, len(left), e.Opts.Grace, listSessions(left))
}

// pollUntilGone polls until none of the sessions of first is open any more,
// or grace has passed. It returns the sessions still open.
func pollUntilGone(ctx context.Context, uc core.UsageChecker, req core.UsageRequest, first []core.Session, grace time.Duration) ([]core.Session, time.Duration, error) {
	start := time.Now()
	left := first
	interval := min(max(grace/pollSteps, minPoll), maxPoll)
	for len(left) > 0 && time.Since(start)+interval <= grace {
		select {
		case <-ctx.Done():
			return left, time.Since(start), ctx.Err()
		case <-time.After(interval):
		}
		now, err := uc.Sessions(ctx, req)
		if err != nil {
			return left, time.Since(start), fmt.Errorf("list sessions: %w", err)
		}
		left = stillOpen(left, now)
	}
	return left, time.Since(start), nil
}

// stillOpen keeps the sessions of before that now still lists.
func stillOpen(before, now []core.Session) []core.Session {
	open := make(map[string]bool, len(now))
	for _, s := range now {
		open[s.ID] = true
	}
	var out []core.Session
	for _, s := range before {
		if open[s.ID] {
			out = append(out, s)
		}
	}
	return out
}

// listSessions names up to maxListed sessions.
func listSessions(ss []core.Session) string {
	names := make([]string, 0, maxListed+1)
	for i, s := range ss {
		if i == maxListed {
			names = append(names, fmt.Sprintf("and %d more", len(ss)-maxListed))
			break
		}
		names = append(names, s.String())
	}
	return strings.Join(names, ", ")
}
