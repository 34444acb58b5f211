package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// cloneStatements plans the alternate strategy: the wanted user (the clone)
// gets LOGIN, the new password and membership in every role the current user
// belongs to, so both users hold the same privileges through shared roles.
// It refuses when the current user belongs to no role: its privileges could
// not be shared, and the clone would log in but fail every query.
func cloneStatements(ctx context.Context, conn *pgx.Conn, req core.ApplyRequest, lit string) (stmts, actions []string, err error) {
	user, _ := req.Want.String("username")
	partner, _ := req.Current.String("username")
	if partner == "" || partner == user {
		return nil, nil, fmt.Errorf("%w: alternate strategy: CURRENT user %q must differ from PENDING user %q", core.ErrUsage, partner, user)
	}
	groups, err := memberships(ctx, conn, partner)
	if err != nil {
		return nil, nil, err
	}
	if len(groups) == 0 {
		return nil, nil, fmt.Errorf("%w: alternate strategy: role %q is a member of no role; grant its privileges to a group role and make it a member, so that %q can share them", core.ErrUsage, partner, user)
	}
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", user).Scan(&exists); err != nil {
		return nil, nil, classify(err)
	}
	verb := "ALTER"
	if !exists {
		verb = "CREATE"
	}
	stmts = append(stmts, fmt.Sprintf("%s ROLE %s WITH LOGIN PASSWORD %s", verb, ident(user), lit))
	actions = append(actions, fmt.Sprintf("%s ROLE %s WITH LOGIN PASSWORD %s", verb, ident(user), core.Redacted))
	have := map[string]bool{}
	if exists {
		mine, err := memberships(ctx, conn, user)
		if err != nil {
			return nil, nil, err
		}
		for _, g := range mine {
			have[g] = true
		}
	}
	for _, g := range groups {
		if !have[g] {
			s := fmt.Sprintf("GRANT %s TO %s", ident(g), ident(user))
			stmts, actions = append(stmts, s), append(actions, s)
		}
	}
	return stmts, actions, nil
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
