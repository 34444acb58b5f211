package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// accountPrivileges is everything compared between the two users of the
// alternate strategy: SHOW GRANTS, the default roles (which MySQL 8 keeps
// out of SHOW GRANTS), resource limits and TLS requirements. The last two
// are read from mysql.user, never from SHOW GRANTS or SHOW CREATE USER,
// whose lines also carry the password hash.
func accountPrivileges(ctx context.Context, c *conn, a account) ([]privilege, error) {
	ps, err := showGrants(ctx, c, a)
	if err != nil {
		return nil, err
	}
	if !c.srv.mariadb {
		dr, err := defaultRoles(ctx, c, a)
		if err != nil {
			return nil, err
		}
		ps = append(ps, dr...)
	}
	attrs, err := accountAttributes(ctx, c, a)
	if err != nil {
		return nil, err
	}
	return append(ps, attrs...), nil
}

// limitColumns are mysql.user's resource limits and the ALTER USER ...
// WITH clause that sets each. MariaDB adds max_statement_time.
var limitColumns = [][2]string{
	{"max_questions", "MAX_QUERIES_PER_HOUR"}, {"max_updates", "MAX_UPDATES_PER_HOUR"},
	{"max_connections", "MAX_CONNECTIONS_PER_HOUR"}, {"max_user_connections", "MAX_USER_CONNECTIONS"},
	{"max_statement_time", "MAX_STATEMENT_TIME"},
}

// accountAttributes reads the account's resource limits and TLS
// requirement (none when the account does not exist).
func accountAttributes(ctx context.Context, c *conn, a account) ([]privilege, error) {
	cols := limitColumns
	if !c.srv.mariadb {
		cols = cols[:4]
	}
	names := []string{"ssl_type", "ssl_cipher", "x509_issuer", "x509_subject"}
	for _, col := range cols {
		names = append(names, col[0])
	}
	vals := make([]sql.NullString, len(names))
	dest := make([]any, len(vals))
	for i := range vals {
		dest[i] = &vals[i]
	}
	q := "SELECT " + strings.Join(names, ", ") + " FROM mysql.user WHERE User = ? AND Host = ?"
	err := c.c.QueryRowContext(ctx, q, a.user, a.host).Scan(dest...)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read the resource limits and TLS requirement of %s: %w", a, classify(err))
	}
	var out []privilege
	if req := tlsRequirement(vals[0].String, vals[1].String, vals[2].String, vals[3].String); req != "" {
		out = append(out, privilege{kind: kindTLS, name: req})
	}
	for i, col := range cols {
		if v := vals[4+i].String; !isZero(v) {
			out = append(out, privilege{kind: kindLimit, name: col[1] + " " + v})
		}
	}
	return out, nil
}

// tlsRequirement is the REQUIRE clause of mysql.user's ssl_type, ssl_cipher,
// x509_issuer and x509_subject ("" for none).
func tlsRequirement(sslType, cipher, issuer, subject string) string {
	switch strings.ToUpper(sslType) {
	case "ANY":
		return "REQUIRE SSL"
	case "X509":
		return "REQUIRE X509"
	case "SPECIFIED":
		var parts []string
		for _, p := range [][2]string{{"ISSUER", issuer}, {"SUBJECT", subject}, {"CIPHER", cipher}} {
			if p[1] != "" {
				parts = append(parts, p[0]+" "+quote(p[1]))
			}
		}
		return "REQUIRE " + strings.Join(parts, " AND ")
	}
	return ""
}

// isZero says whether a limit is unset: 0, or MariaDB's 0.000000.
func isZero(v string) bool { return strings.Trim(v, "0.") == "" }

// defaultRoles reads MySQL 8's default roles of a, as one privilege.
func defaultRoles(ctx context.Context, c *conn, a account) ([]privilege, error) {
	rows, err := c.c.QueryContext(ctx, "SELECT DEFAULT_ROLE_USER, DEFAULT_ROLE_HOST FROM mysql.default_roles WHERE USER = ? AND HOST = ? ORDER BY 1, 2", a.user, a.host)
	if err != nil {
		return nil, fmt.Errorf("read the default roles of %s: %w", a, classify(err))
	}
	defer rows.Close()
	var roles []string
	for rows.Next() {
		var r account
		if err := rows.Scan(&r.user, &r.host); err != nil {
			return nil, classify(err)
		}
		roles = append(roles, r.shown())
	}
	if err := rows.Err(); err != nil || len(roles) == 0 {
		return nil, classify(err)
	}
	return []privilege{{kind: kindDefaultRole, name: strings.Join(roles, ",")}}, nil
}
