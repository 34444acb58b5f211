package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// newRichAccount creates a login role whose privileges come through a
// group role (a column grant among them), with a second membership WITH
// ADMIN OPTION, settings for every database and for this one (a list value
// with quotes among them), a connection limit and a VALID UNTIL.
func newRichAccount(t testing.TB, r *conformance.Runner, put putFunc, user string) (core.Ref, core.Value) {
	pw := conformance.RandomID("initial-")
	r.Secret(pw)
	q := func(s string) string { return pgx.Identifier{s}.Sanitize() }
	group, lead, table := q(user+"_group"), q(user+"_lead"), q(user+"_cols")
	for _, s := range []string{
		"CREATE ROLE " + group, "CREATE ROLE " + lead,
		fmt.Sprintf("CREATE TABLE %s (a int, b int)", table),
		fmt.Sprintf("GRANT SELECT (a), UPDATE (a) ON %s TO %s", table, group),
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD %s IN ROLE %s CONNECTION LIMIT 40 VALID UNTIL '2999-01-01 00:00:00+00'", q(user), quote(pw), group),
		fmt.Sprintf("GRANT %s TO %s WITH ADMIN OPTION", lead, q(user)),
		fmt.Sprintf(`ALTER ROLE %s SET search_path = "$user", public, %s`, q(user), q("odd, name")),
		fmt.Sprintf("ALTER ROLE %s SET statement_timeout = '42s'", q(user)),
		fmt.Sprintf("ALTER ROLE %s IN DATABASE postgres SET work_mem = 3072", q(user)),
	} {
		adminExec(t, s)
	}
	v := dbValue(user, pw)
	return put(t, "conformance/pg-rich-"+conformance.RandomID(""), v), v
}

// behaviour logs in with creds and says what the role may do, its
// settings, limits and memberships, without its name.
func behaviour(t testing.TB, creds core.Value) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn(creds))
	if err != nil {
		t.Fatalf("behaviour: log in: %v", err)
	}
	defer conn.Close(ctx)
	user, _ := creds.String("username")
	base := strings.TrimSuffix(user, "_clone")
	table := pgx.Identifier{base + "_cols"}.Sanitize()
	var out []string
	for _, q := range []string{
		"SELECT current_setting('search_path') || ' / ' || current_setting('statement_timeout') || ' / ' || current_setting('work_mem')",
		"SELECT rolconnlimit || ' / ' || rolvaliduntil FROM pg_roles WHERE rolname = current_user",
		fmt.Sprintf("SELECT pg_has_role(%s, 'MEMBER WITH ADMIN OPTION')::text", quote(base+"_lead")),
		"SELECT count(a)::text FROM " + table, "SELECT count(b)::text FROM " + table,
		"UPDATE " + table + " SET a = a WHERE false RETURNING 'ok'", "UPDATE " + table + " SET b = b WHERE false RETURNING 'ok'",
	} {
		var got string
		err := conn.QueryRow(ctx, q).Scan(&got)
		if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) {
			got = "SQLSTATE " + pe.Code
		} else if err != nil {
			got = err.Error()
		}
		out = append(out, q+": "+strings.ReplaceAll(got, user, "<user>"))
	}
	return strings.Join(out, "\n")
}
