// Package postgres is the PostgreSQL target: it sets, checks and retires
// role passwords through github.com/jackc/pgx/v5.
//
// Connections come from the secret's RDS-shaped JSON (host, port, dbname,
// username, password, sslmode) with libpq's PG* environment variables
// (PGHOST, PGPORT, PGDATABASE, PGSSLMODE, PGSSLROOTCERT, PGCONNECT_TIMEOUT)
// filling in what the secret leaves out. Unlike libpq, sslmode defaults to
// verify-full for a host not on loopback (prefer on loopback); a private CA
// is named in PGSSLROOTCERT. Passwords are sent to the server as SCRAM-SHA-256
// verifiers computed here, so the clear password never appears in a statement
// or in the server's statement log.
package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

// Target is the PostgreSQL target. It holds no connection between calls.
type Target struct {
	reconcileGrants bool // --reconcile-grants: alternate makes the incoming user's privileges match
}

// Open returns the target with the values of its own flags (Spec); it reads
// PG* variables when it connects.
func Open(_ context.Context, f step.Flags) (Target, error) {
	return Target{reconcileGrants: f.Bool("reconcile-grants")}, nil
}

// Describe names the role and endpoint, never the password.
func (Target) Describe(creds core.Value) string {
	user, _ := creds.String("username")
	return fmt.Sprintf("postgres role %q at %s", user, endpoint(creds))
}

// defaultPort is PostgreSQL's port when neither the secret nor PGPORT gives one.
const defaultPort = "5432"

// server is where creds log in: the secret's host and port, else PGHOST
// and PGPORT (host empty when neither names one).
func server(creds core.Value) (host, port string) {
	return cmp.Or(creds.Text("host"), os.Getenv("PGHOST")), cmp.Or(creds.Text("port"), os.Getenv("PGPORT"), defaultPort)
}

func endpoint(creds core.Value) string {
	host, port, db := creds.Text("host"), creds.Text("port"), creds.Text("dbname")
	if host == "" {
		host = "$PGHOST"
	}
	if port == "" {
		port = defaultPort
	}
	return fmt.Sprintf("%s:%s/%s", host, port, db)
}

// connect logs in with creds. Fields absent from creds come from PG* variables.
func connect(ctx context.Context, creds core.Value) (*pgx.Conn, error) {
	user, ok := creds.String("username")
	if !ok || user == "" {
		return nil, fmt.Errorf("%w: secret has no username field", core.ErrUsage)
	}
	pw, ok := creds.String("password")
	if !ok {
		return nil, fmt.Errorf("%w: secret has no password field", core.ErrUsage)
	}
	_, port := server(creds)
	if err := core.AppEndpoint(creds, os.Getenv("PGHOST"), port, defaultPort, "PGHOST"); err != nil {
		return nil, err
	}
	kv := []string{"user=" + quoteDSN(user), "password=" + quoteDSN(pw)}
	for _, f := range []string{"host", "port", "dbname"} {
		if v := creds.Text(f); v != "" {
			kv = append(kv, f+"="+quoteDSN(v))
		}
	}
	if m := sslMode(creds); m != "" {
		kv = append(kv, "sslmode="+quoteDSN(m))
	}
	cfg, err := pgx.ParseConfig(strings.Join(kv, " "))
	if err != nil {
		return nil, fmt.Errorf("%w: connection settings: %v", core.ErrUsage, scrubConfigErr(err))
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, classify(err)
	}
	return conn, nil
}

// scrubConfigErr drops pgx's parse error detail, which can quote the DSN.
func scrubConfigErr(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return "cannot parse host, port, dbname or sslmode"
	}
	return "invalid"
}

// quoteDSN quotes a keyword/value connection string value.
func quoteDSN(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// objectState are the SQLSTATEs of a statement refused because roles or
// objects are not in the state it needs (dropped or created meanwhile, or
// still depended on): they changed under the rotation (exit 5).
var objectState = map[string]bool{"42704": true, "42710": true, "42P01": true, "42703": true, "42883": true, "2BP01": true}

// classify maps connection and server errors onto the core classes.
func classify(err error) error {
	var pgErr *pgconn.PgError
	var ne net.Error
	// With sslmode prefer, pgx also reports the refused TLS attempt that
	// came before a server's answer: the server's answer decides.
	if tlsErr := classifyTLS(err); tlsErr != nil && !errors.As(err, &pgErr) {
		return tlsErr
	}
	switch {
	case errors.As(err, &pgErr):
		switch {
		case pgErr.Code == "28P01" || pgErr.Code == "28000":
			return fmt.Errorf("%w: %s (SQLSTATE %s)", core.ErrRejected, pgErr.Message, pgErr.Code)
		case pgErr.Code == "3D000":
			return fmt.Errorf("%w: %s", core.ErrUsage, pgErr.Message)
		case pgErr.Code == "42501":
			return fmt.Errorf("%w: %s", core.ErrDenied, pgErr.Message)
		case strings.HasPrefix(pgErr.Code, "53") || strings.HasPrefix(pgErr.Code, "57") || strings.HasPrefix(pgErr.Code, "08"):
			return fmt.Errorf("%w: %s (SQLSTATE %s)", core.ErrUnavailable, pgErr.Message, pgErr.Code)
		case pgErr.Code == "40001" || pgErr.Code == "40P01" || objectState[pgErr.Code]:
			return fmt.Errorf("%w: %s (SQLSTATE %s)", core.ErrConflict, pgErr.Message, pgErr.Code)
		}
		return fmt.Errorf("postgres: %s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne), pgconn.Timeout(err):
		return fmt.Errorf("%w: %v", core.ErrUnavailable, err)
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return fmt.Errorf("%w: %v", core.ErrUnavailable, err)
	}
	return err
}
