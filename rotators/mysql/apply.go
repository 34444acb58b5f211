package mysql

import (
	"context"
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
		stmts, shown, err = t.setOwn(c, req, as)
	}
	if err != nil {
		return core.Plan{}, err
	}
	return run(ctx, c, req.DryRun, stmts, append([]string{"connected as " + t.Describe(as.Creds) + " (" + as.Name + ") to " + c.srv.name()}, shown...))
}

// setOwn is single and dual: one user, its password changed, by an admin
// or, without one, by the user itself (logged in with CURRENT or PREVIOUS).
func (t Target) setOwn(c *conn, req core.ApplyRequest, as core.Login) ([]string, []string, error) {
	user, _ := req.Want.String("username")
	ch := pwChange{acct: account{user: user, host: accountHost(req.Want, t.accountHost)}, retain: req.Strategy == core.Dual}
	ch.password, _ = req.Want.String("password")
	if !as.Admin {
		if u, _ := as.Creds.String("username"); u != user {
			return nil, nil, fmt.Errorf("%w: logged in as %q, which cannot change the password of %q: give --admin-secret", core.ErrDenied, u, user)
		}
		ch.self = true
		ch.current, _ = as.Creds.String("password")
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

// adminConn connects with the admin credential, else CURRENT, else
// PREVIOUS (core.LogIn), and says which one worked. The admin credential
// goes only to a server its own secret names, with its own tls setting.
func (t Target) adminConn(ctx context.Context, req core.ApplyRequest) (*conn, core.Login, error) {
	host, port := endpoint(req.Want)
	l := core.AdminLogin{Admin: req.Admin, Current: req.Current, Previous: req.Previous,
		Host: host, Port: port, DefaultPort: defaultPort, Carry: map[string]string{"dbname": req.Want.Text("dbname")}}
	return core.LogIn(ctx, l, connect)
}
