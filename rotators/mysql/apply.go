package mysql

import (
	"context"
	"errors"
	"fmt"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Check logs in with creds and runs SELECT CURRENT_USER(). It changes nothing.
func (Target) Check(ctx context.Context, creds core.Value) error {
	c, err := connect(ctx, creds)
	if err != nil {
		return err
	}
	defer c.Close()
	who, _, err := currentUser(ctx, c)
	if err != nil {
		return err
	}
	if user, _ := creds.String("username"); who != user {
		return fmt.Errorf("%w: logged in as %q, not %q", core.ErrUsage, who, user)
	}
	return nil
}

// Apply makes Want's password work: single replaces it, dual (MySQL 8)
// keeps the current one as the secondary password, alternate creates or
// updates the other user with the current user's privileges.
func (t Target) Apply(ctx context.Context, req core.ApplyRequest) (core.Plan, error) {
	c, as, err := t.adminConn(ctx, req)
	if err != nil {
		return core.Plan{}, err
	}
	defer c.Close()
	if req.Strategy == core.Dual && !c.srv.dual() {
		return core.Plan{}, noDual(c.srv) // before anything changes
	}
	var stmts, shown []string
	if req.Strategy == core.Alternate {
		stmts, shown, err = t.alternate(ctx, c, req)
	} else {
		stmts, shown, err = setOwn(c, req, as)
	}
	if err != nil {
		return core.Plan{}, err
	}
	return run(ctx, c, req.DryRun, stmts, append([]string{"connected as " + t.Describe(as.creds) + " (" + as.name + ") to " + c.srv.name()}, shown...))
}

// setOwn is single and dual: one user, its password changed, by an admin
// or, without one, by the user itself (logged in with CURRENT or PREVIOUS).
func setOwn(c *conn, req core.ApplyRequest, as candidate) ([]string, []string, error) {
	user, _ := req.Want.String("username")
	ch := pwChange{acct: account{user: user, host: accountHost(req.Want, req.AccountHost)}, retain: req.Strategy == core.Dual}
	ch.password, _ = req.Want.String("password")
	if as.name != "admin" {
		if u, _ := as.creds.String("username"); u != user {
			return nil, nil, fmt.Errorf("%w: logged in as %q, which cannot change the password of %q: give --admin-secret", core.ErrDenied, u, user)
		}
		ch.self = true
		ch.current, _ = as.creds.String("password")
	}
	stmt, shown, err := setPassword(c.srv, ch)
	return []string{stmt}, []string{shown}, err
}

// run executes the statements in order (MySQL commits each one: account
// statements are not transactional), unless dryRun.
func run(ctx context.Context, c *conn, dryRun bool, stmts, actions []string) (core.Plan, error) {
	if dryRun {
		return core.Plan{Actions: actions}, nil
	}
	for _, s := range stmts {
		if _, err := c.c.ExecContext(ctx, s); err != nil {
			return core.Plan{}, refused(err)
		}
	}
	return core.Plan{Actions: actions, Changed: len(stmts) > 0}, nil
}

// candidate is a credential adminConn may log in with.
type candidate struct {
	name  string
	creds core.Value
}

// adminConn connects with the admin credential, else CURRENT, else
// PREVIOUS, and says which one worked. Host, port, dbname and tls missing
// from the admin secret come from Want.
func (t Target) adminConn(ctx context.Context, req core.ApplyRequest) (*conn, candidate, error) {
	var cands []candidate
	if !req.Admin.IsZero() {
		cands = append(cands, candidate{"admin", withEndpoint(req.Admin, req.Want)})
	} else {
		cands = append(cands, candidate{"current", req.Current}, candidate{"previous", req.Previous})
	}
	var last error
	for _, cand := range cands {
		if cand.creds.IsZero() {
			continue
		}
		c, err := connect(ctx, cand.creds)
		if err == nil {
			return c, cand, nil
		}
		if !errors.Is(err, core.ErrRejected) {
			return nil, candidate{}, err
		}
		last = err
	}
	if last == nil {
		last = errors.New("no credential to try")
	}
	return nil, candidate{}, fmt.Errorf("%w: no credential could log in to make the change (give --admin-secret): %v", core.ErrDenied, last)
}
