package mysql

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Revoke makes PREVIOUS stop working. dual: DISCARD OLD PASSWORD. single:
// the password changed in place, so PREVIOUS is normally refused already; if
// it still logs in, CURRENT is set again. alternate: the previous user is
// kept for the next turn. Re-running it changes nothing.
func (t Target) Revoke(ctx context.Context, req core.ApplyRequest) (core.Plan, error) {
	prevUser, _ := req.Previous.String("username")
	curUser, _ := req.Current.String("username")
	if req.Strategy == core.Alternate && prevUser != curUser {
		return core.Plan{Actions: []string{fmt.Sprintf("kept user %q with its password for the next turn (alternate strategy)", prevUser)}}, nil
	}
	err := t.Check(ctx, req.Previous)
	switch {
	case errors.Is(err, core.ErrRejected):
		return core.Plan{Actions: []string{fmt.Sprintf("previous password of %q is refused; nothing to do", prevUser)}}, nil
	case err != nil:
		return core.Plan{}, err
	case req.Strategy == core.Dual:
		return t.discard(ctx, req)
	}
	plan, err := t.Apply(ctx, core.ApplyRequest{Strategy: core.Single, Want: req.Current, Current: req.Current,
		Admin: req.Admin, DryRun: req.DryRun})
	if err != nil {
		return core.Plan{}, err
	}
	plan.Actions = append([]string{fmt.Sprintf("previous password of %q still logs in; setting CURRENT again", prevUser)}, plan.Actions...)
	return plan, nil
}

// discard is the dual revoke: ALTER USER ... DISCARD OLD PASSWORD.
func (t Target) discard(ctx context.Context, req core.ApplyRequest) (core.Plan, error) {
	c, as, err := t.adminConn(ctx, core.ApplyRequest{Want: req.Current, Admin: req.Admin, Current: req.Current})
	if err != nil {
		return core.Plan{}, err
	}
	defer c.Close()
	user, _ := req.Current.String("username")
	stmt, err := discardOld(c.srv, account{user: user, host: accountHost(req.Current, t.accountHost)}, !as.Admin)
	if err != nil {
		return core.Plan{}, err
	}
	return run(ctx, c, req.DryRun, []string{stmt}, []string{stmt})
}

// Prune is the undo of a dual rotation on MySQL 8: CURRENT becomes the
// primary password again (ALTER USER ... IDENTIFIED BY without RETAIN keeps
// the secondary one, PREVIOUS), so a discarded PENDING that was the primary
// stops working. It first asks, without the admin credential, whether there
// is anything to remove: an undo must succeed when there is nothing to undo,
// even with a broken admin secret (see nothingToPrune).
func (t Target) Prune(ctx context.Context, req core.ApplyRequest) (core.Plan, error) {
	switch why, err := t.nothingToPrune(ctx, req); {
	case err != nil:
		return core.Plan{}, err
	case why != "":
		return core.Plan{Actions: []string{why}}, nil
	}
	c, as, err := t.adminConn(ctx, core.ApplyRequest{Want: req.Want, Admin: req.Admin, Current: req.Want})
	if err != nil {
		return core.Plan{}, err
	}
	defer c.Close()
	stmts, shown, err := t.setOwn(c, core.ApplyRequest{Strategy: core.Single, Want: req.Want}, as)
	if err != nil {
		return core.Plan{}, err
	}
	return run(ctx, c, req.DryRun, stmts, shown)
}

// nothingToPrune says why the account holds no password to remove, or ""
// when it may. It logs in with CURRENT (which works: deploy checked), never
// as the admin: MariaDB and MySQL before 8.0.14 keep one password per
// account; on MySQL 8 the only password to remove is a PENDING of the same
// user that still logs in (an alternate PENDING is another account, which
// the undo leaves as it is, as on PostgreSQL).
func (t Target) nothingToPrune(ctx context.Context, req core.ApplyRequest) (string, error) {
	c, err := connect(ctx, req.Want)
	if err != nil {
		return "", err
	}
	srv := c.srv
	c.Close()
	if !srv.dual() {
		return "found that " + srv.name() + " keeps one password per account: nothing to remove", nil
	}
	user, _ := req.Want.String("username")
	pending := req.Current // the undo's request carries PENDING there, if the store still has it
	switch u, _ := pending.String("username"); {
	case pending.IsZero() || pending.Equal(req.Want):
		return "", nil // rollback removed PENDING: only the admin can tell
	case u != user:
		return fmt.Sprintf("found that PENDING is another account (%q): nothing to remove from %q", u, user), nil
	}
	switch err := t.Check(ctx, pending); {
	case errors.Is(err, core.ErrRejected):
		return "found the discarded PENDING password refused already: nothing to remove", nil
	case err != nil:
		return "", err
	}
	return "", nil
}

// Sessions lists the sessions of the credential's user from the
// processlist (an admin needs the PROCESS privilege to see other users'
// sessions; a user always sees its own). MySQL and MariaDB do not record when
// a session connected, so every session open now is listed, whatever
// req.Before says; thread ids are never reused while the server runs.
func (t Target) Sessions(ctx context.Context, req core.UsageRequest) ([]core.Session, error) {
	c, _, err := t.adminConn(ctx, core.ApplyRequest{Admin: req.Admin, Current: req.Login, Want: req.Creds})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	user, _ := req.Creds.String("username")
	rows, err := c.c.QueryContext(ctx, "SELECT ID, HOST FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID() ORDER BY ID", user)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []core.Session
	for rows.Next() {
		var id int64
		var host string
		if err := rows.Scan(&id, &host); err != nil {
			return nil, classify(err)
		}
		out = append(out, core.Session{ID: strconv.FormatInt(id, 10), User: user, Client: host})
	}
	return out, classify(rows.Err())
}
