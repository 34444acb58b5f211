package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// cloneStatements plans the alternate strategy: the wanted user (the clone)
// gets LOGIN and the new password. A clone that does not exist yet is
// created a member of every role the current user belongs to, so both users
// hold the same privileges through shared roles. An existing clone's
// privileges (memberships, attributes, grants on objects of the database,
// ownership) are compared with the current user's first: any difference is
// grant drift, refused with ErrConflict unless reconcile (--reconcile-grants), which
// grants what is missing and revokes what is extra. Ownership is never
// reconciled. It refuses when the current user belongs to no role: its
// privileges could not be shared, and the clone would log in but fail every
// query.
func cloneStatements(ctx context.Context, conn *pgx.Conn, req core.ApplyRequest, lit string, reconcile bool) (stmts, actions []string, verify func(context.Context, pgx.Tx) error, err error) {
	user, _ := req.Want.String("username")
	partner, _ := req.Current.String("username")
	if partner == "" || partner == user {
		return nil, nil, nil, fmt.Errorf("%w: alternate strategy: CURRENT user %q must differ from PENDING user %q", core.ErrUsage, partner, user)
	}
	groups, err := memberships(ctx, conn, partner)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(groups) == 0 {
		return nil, nil, nil, fmt.Errorf("%w: alternate strategy: role %q is a member of no role; grant its privileges to a group role and make it a member, so that %q can share them", core.ErrUsage, partner, user)
	}
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", user).Scan(&exists); err != nil {
		return nil, nil, nil, classify(err)
	}
	missing, extra, err := compare(ctx, conn, partner, user, exists, reconcile)
	if err != nil {
		return nil, nil, nil, err
	}
	verb := "ALTER"
	if !exists {
		verb = "CREATE"
	}
	stmts = append(stmts, fmt.Sprintf("%s ROLE %s WITH LOGIN PASSWORD %s", verb, ident(user), lit))
	actions = append(actions, fmt.Sprintf("%s ROLE %s WITH LOGIN PASSWORD %s", verb, ident(user), core.Redacted))
	for _, p := range extra {
		stmts, actions = append(stmts, p.revoke(user)), append(actions, "revoked "+p.String()+": "+p.revoke(user))
	}
	for _, p := range missing {
		stmts, actions = append(stmts, p.grant(user)), append(actions, "granted "+p.String()+": "+p.grant(user))
	}
	verify = func(ctx context.Context, tx pgx.Tx) error {
		return checkMatch(ctx, tx, partner, user)
	}
	return stmts, actions, verify, nil
}

// compare reads both roles' privileges and returns what to grant to and
// revoke from user. A new clone gets the role-level properties of partner
// (memberships and their admin option, attributes, settings, connection
// limit, VALID UNTIL) as part of its creation; any other difference is
// grant drift.
func compare(ctx context.Context, conn *pgx.Conn, partner, user string, exists, reconcile bool) (missing, extra []priv, err error) {
	want, err := privileges(ctx, conn, partner)
	if err != nil {
		return nil, nil, err
	}
	var have []priv
	if exists {
		if have, err = privileges(ctx, conn, user); err != nil {
			return nil, nil, err
		}
	}
	missing, extra = diffPrivs(want, have)
	var drift []priv
	owner := false
	for _, p := range append(append([]priv{}, missing...), extra...) {
		if exists || !roleLevel(p.kind) {
			drift = append(drift, p)
		}
		owner = owner || p.kind == kindOwner
	}
	switch {
	case len(drift) == 0 || reconcile && !owner:
		return missing, extra, nil
	case exists:
		return nil, nil, driftError(user, partner, missing, extra, !owner)
	}
	return nil, nil, driftError(user, partner, drift, nil, !owner) // a new clone has nothing extra
}

// checkMatch verifies, inside the transaction, that user now holds exactly
// partner's privileges. PostgreSQL's REVOKE takes away only what the
// revoking role granted (and GRANT needs the grant option): what the admin
// could not change is reported instead of being silently left.
func checkMatch(ctx context.Context, q querier, partner, user string) error {
	want, err := privileges(ctx, q, partner)
	if err != nil {
		return err
	}
	have, err := privileges(ctx, q, user)
	if err != nil {
		return err
	}
	missing, extra := diffPrivs(want, have)
	if len(missing)+len(extra) == 0 {
		return nil
	}
	return fmt.Errorf("%w: the admin could not make the privileges of %s match those of %s (REVOKE removes only what the revoking role granted): still %s; nothing was changed",
		core.ErrConflict, ident(user), ident(partner), describeDiff(ident(user), missing, extra))
}

// memberships lists the roles a role is a direct member of.
func memberships(ctx context.Context, conn *pgx.Conn, role string) ([]string, error) {
	rows, err := conn.Query(ctx, `SELECT g.rolname FROM pg_auth_members m
		JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
		WHERE u.rolname = $1 ORDER BY 1`, role)
	if err != nil {
		return nil, classify(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, classify(err)
	}
	return names, nil
}
