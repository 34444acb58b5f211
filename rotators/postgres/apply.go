package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Check logs in with creds and runs SELECT current_user. It changes nothing.
func (Target) Check(ctx context.Context, creds core.Value) error {
	conn, err := connect(ctx, creds)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var who string
	if err := conn.QueryRow(ctx, "SELECT current_user").Scan(&who); err != nil {
		return classify(err)
	}
	if user, _ := creds.String("username"); who != user {
		return fmt.Errorf("%w: logged in as %q, not %q", core.ErrUsage, who, user)
	}
	return nil
}

// Apply sets Want's password, creating the clone role for the alternate
// strategy. Re-running it sets the same password again.
func (t Target) Apply(ctx context.Context, req core.ApplyRequest) (core.Plan, error) {
	if req.Strategy == core.Dual {
		return core.Plan{}, fmt.Errorf("%w: PostgreSQL roles have one password; use strategy single or alternate", core.ErrUsage)
	}
	conn, as, err := t.adminConn(ctx, req)
	if err != nil {
		return core.Plan{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	user, _ := req.Want.String("username")
	pw, _ := req.Want.String("password")
	lit, err := passwordLiteral(pw)
	if err != nil {
		return core.Plan{}, err
	}
	var stmts, actions []string
	var verify func(context.Context, pgx.Tx) error
	if req.Strategy == core.Alternate {
		stmts, actions, verify, err = cloneStatements(ctx, conn, req, lit, t.reconcileGrants)
		if err != nil {
			return core.Plan{}, err
		}
	} else {
		stmts = []string{fmt.Sprintf("ALTER ROLE %s WITH PASSWORD %s", ident(user), lit)}
		actions = []string{fmt.Sprintf("ALTER ROLE %s WITH PASSWORD %s", ident(user), core.Redacted)}
	}
	actions = append([]string{"connected as " + as}, actions...)
	if req.DryRun {
		return core.Plan{Actions: actions}, nil
	}
	if err := runTx(ctx, conn, stmts, verify); err != nil {
		return core.Plan{}, err
	}
	return core.Plan{Actions: actions, Changed: true}, nil
}

// adminConn connects with the admin credential, else CURRENT, else
// PREVIOUS (core.LogIn), and says which one worked. The admin credential
// goes only to a server its own secret names, with its own sslmode (absent:
// the pack's default for that host, whatever PGSSLMODE says).
func (t Target) adminConn(ctx context.Context, req core.ApplyRequest) (*pgx.Conn, string, error) {
	host, port := server(req.Want)
	l := core.AdminLogin{Admin: req.Admin, Current: req.Current, Previous: req.Previous,
		Host: host, Port: port, DefaultPort: defaultPort, Carry: map[string]string{"dbname": req.Want.Text("dbname")}}
	conn, in, err := core.LogIn(ctx, l, func(ctx context.Context, creds core.Value) (*pgx.Conn, error) {
		if !l.Admin.IsZero() && creds.Text("sslmode") == "" { // the admin's own, never PGSSLMODE
			creds = creds.With("sslmode", defaultSSLMode(creds.Text("host")))
		}
		return connect(ctx, creds)
	})
	if err != nil {
		return nil, "", err
	}
	return conn, in.Name + " (" + t.Describe(in.Creds) + ")", nil
}

// runTx runs the statements in one transaction; verify, when set, checks
// the result before it commits (an error rolls everything back).
func runTx(ctx context.Context, conn *pgx.Conn, stmts []string, verify func(context.Context, pgx.Tx) error) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return classify(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return classify(err)
		}
	}
	if verify != nil {
		if err := verify(ctx, tx); err != nil {
			return err
		}
	}
	return classify(tx.Commit(ctx))
}
