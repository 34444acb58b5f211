package core

import (
	"context"
	"fmt"
	"time"
)

// Session is one connection to a target, as the target's own session list
// shows it (pg_stat_activity, the MySQL processlist, Redis CLIENT LIST). It
// holds nothing secret: servers do not record which password a session
// logged in with, only the user.
type Session struct {
	ID     string    // the server's id for it (pid, thread id, client id), unique while it lives
	User   string    // the user it logged in as
	Client string    // client address (host:port), "" when the server does not say
	Since  time.Time // when it connected; zero when the server does not record it
}

// String describes the session for log lines and errors:
// user@client (session ID, since RFC 3339 time).
func (s Session) String() string {
	client := s.Client
	if client == "" {
		client = "local"
	}
	since := "connect time unknown"
	if !s.Since.IsZero() {
		since = "since " + s.Since.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("%s@%s (session %s, %s)", s.User, client, s.ID, since)
}

// UsageRequest asks a UsageChecker for the sessions that may still use a
// credential. Zero values mean "not available".
type UsageRequest struct {
	// Creds is the credential in question; its username selects the sessions.
	Creds Value
	// Before keeps only sessions opened before this time (for revoke: when the
	// new value was promoted, so readers of CURRENT moved on). Zero keeps every
	// session open now. Targets that cannot tell when a session opened keep
	// every session open now.
	Before time.Time
	// Admin, else Login, is the credential to look with.
	Admin Value
	Login Value
}

// UsageChecker is implemented by targets that can list the sessions still
// using a credential, so that the revoke step can wait for them to end
// before it retires the credential (and deploy, for the alternate strategy,
// before it changes the password of the user that takes its turn again).
// Sessions changes nothing and never lists the caller's own session.
type UsageChecker interface {
	Sessions(ctx context.Context, req UsageRequest) ([]Session, error)
}

// Pruner is implemented by targets on which an account can hold more than
// one valid password at once (the dual strategy). After an undo (deploy
// --stage current) finds CURRENT working, Prune removes from the account
// every password but req.Want's (CURRENT) and req.Previous's, so that a
// discarded PENDING stops working. Re-running it changes nothing.
type Pruner interface {
	Prune(ctx context.Context, req ApplyRequest) (Plan, error)
}
