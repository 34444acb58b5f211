package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// sessionsQuery lists the client sessions of a role but the caller's own.
// backend_start and the client address are NULL for sessions of other roles
// unless the caller has the privileges of pg_read_all_stats (or of the role).
const sessionsQuery = `SELECT pid, backend_start, COALESCE(host(client_addr) || ':' || client_port, '')
FROM pg_stat_activity
WHERE usename = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'
ORDER BY pid`

// Sessions lists the sessions of the credential's role from
// pg_stat_activity, opened before req.Before when it is set. It looks with
// the admin credential (which needs pg_read_all_stats to see when other
// roles' sessions started; without it, every session of the role counts),
// else with req.Login.
func (t Target) Sessions(ctx context.Context, req core.UsageRequest) ([]core.Session, error) {
	conn, _, err := t.adminConn(ctx, core.ApplyRequest{Admin: req.Admin, Current: req.Login, Want: req.Creds})
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	user, _ := req.Creds.String("username")
	rows, err := conn.Query(ctx, sessionsQuery, user)
	if err != nil {
		return nil, classify(err)
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.Session, error) {
		var pid int64
		var since *time.Time
		s := core.Session{User: user}
		err := r.Scan(&pid, &since, &s.Client)
		if since != nil {
			s.Since = *since
		}
		s.ID = strconv.FormatInt(pid, 10)
		return s, err
	})
	if err != nil {
		return nil, classify(err)
	}
	var out []core.Session
	for _, s := range all {
		if req.Before.IsZero() || s.Since.IsZero() || s.Since.Before(req.Before) {
			out = append(out, s)
		}
	}
	return out, nil
}
