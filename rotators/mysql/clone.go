package mysql

import (
	"context"
	"fmt"
	"strings"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// alternate plans the switch to the other user of the pair. A missing user
// is created locked, given every privilege and attribute of the current
// user (in dependency order, see rank), then its password and unlocked: a
// run stopped half-way leaves a locked user, which the next run compares
// again and completes. An existing user's privileges are
// compared with the current user's first: any difference (grant drift) is
// refused with ErrConflict and reported, unless t.reconcileGrants (--reconcile-grants), which
// grants what is missing and revokes what is extra, and says so.
func (t Target) alternate(ctx context.Context, c *conn, req core.ApplyRequest) (stmts, shown []string, err error) {
	user, _ := req.Want.String("username")
	partner, _ := req.Current.String("username")
	if partner == "" || partner == user {
		return nil, nil, fmt.Errorf("%w: alternate strategy: CURRENT user %q must differ from PENDING user %q", core.ErrUsage, partner, user)
	}
	host := accountHost(req.Want, t.accountHost)
	want, cur := account{user: user, host: host}, account{user: partner, host: host}
	curPrivs, err := accountPrivileges(ctx, c, cur)
	if err != nil {
		return nil, nil, fmt.Errorf("read the privileges of %s: %w", cur, err)
	}
	exists, locked, err := accountState(ctx, c, want)
	if err != nil {
		return nil, nil, err
	}
	var have []privilege
	if exists {
		if have, err = accountPrivileges(ctx, c, want); err != nil {
			return nil, nil, fmt.Errorf("read the privileges of %s: %w", want, err)
		}
	}
	missing, extra := diffPrivileges(curPrivs, have)
	creating := !exists || locked
	if !creating && len(missing)+len(extra) > 0 && !t.reconcileGrants {
		return nil, nil, driftError(want, cur, missing, extra)
	}
	if !exists {
		s := "CREATE USER " + want.String() + " ACCOUNT LOCK"
		stmts, shown = append(stmts, s), append(shown, s)
	}
	for _, p := range extra {
		s := p.revoke(c.srv, want)
		stmts, shown = append(stmts, s), append(shown, "revoked "+p.String()+": "+s)
	}
	for _, p := range missing {
		s := p.grant(c.srv, want)
		stmts, shown = append(stmts, s), append(shown, "granted "+p.String()+": "+s)
	}
	pw, _ := req.Want.String("password")
	stmt, text, err := setPassword(c.srv, pwChange{acct: want, password: pw, unlock: locked || !exists})
	if err != nil {
		return nil, nil, err
	}
	return append(stmts, stmt), append(shown, text), nil
}

// driftError reports grant drift between the two users of the pair.
func driftError(want, cur account, missing, extra []privilege) error {
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("%s lacks %s", want, joinPrivileges(missing)))
	}
	if len(extra) > 0 {
		parts = append(parts, fmt.Sprintf("%s has in addition %s", want, joinPrivileges(extra)))
	}
	return fmt.Errorf("%w: grant drift: the privileges of %s differ from those of %s, which applications use now: %s; make them match, or run deploy with --reconcile-grants to make %s match %s",
		core.ErrConflict, want, cur, strings.Join(parts, "; "), want, cur)
}

func joinPrivileges(ps []privilege) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	return strings.Join(names, ", ")
}

// accountState says whether the account exists and whether it is locked.
func accountState(ctx context.Context, c *conn, a account) (exists, locked bool, err error) {
	var n int
	if err := c.c.QueryRowContext(ctx, "SELECT COUNT(*) FROM mysql.user WHERE User = ? AND Host = ?", a.user, a.host).Scan(&n); err != nil {
		return false, false, fmt.Errorf("look up %s: %w", a, classify(err))
	}
	if n == 0 {
		return false, false, nil
	}
	var create string // holds the password hash: only searched, never printed
	if err := c.c.QueryRowContext(ctx, "SHOW CREATE USER "+a.String()).Scan(&create); err != nil {
		return true, false, fmt.Errorf("read %s: %w", a, classify(err))
	}
	return true, indexTop(create, " ACCOUNT LOCK") >= 0, nil
}
