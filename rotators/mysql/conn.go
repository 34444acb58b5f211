// Package mysql is the MySQL and MariaDB target: it sets, checks and retires
// account passwords through github.com/go-sql-driver/mysql.
//
// Accounts are 'user'@'host': the user is the secret's username, the host
// its account_host field, else --account-host, else '%'. Connections come
// from the secret's RDS-shaped JSON (host, port, dbname, username, password,
// and optionally tls: true, false, skip-verify or preferred), with
// MYSQL_HOST and MYSQL_TCP_PORT filling in what it leaves out. tls defaults
// to true (verified) for a host not on loopback and to preferred on
// loopback; MYSQL_CA_CERT names a private CA.
//
// Strategies: single and alternate on both servers; dual (ALTER USER ...
// RETAIN CURRENT PASSWORD at deploy, DISCARD OLD PASSWORD at revoke) on
// MySQL 8.0.14 and later only. The server is identified with SELECT VERSION()
// before anything changes, and dual is refused (exit 2) on MariaDB, which has
// no dual passwords. The MySQL 8 statements are unit-tested but have not run
// against a live MySQL 8 server (none is installable where the tests run).
//
// Passwords never appear in clear in a statement sent to MariaDB: it gets
// the mysql_native_password hash (IDENTIFIED BY PASSWORD '*...'), as the
// server stores it. MySQL 8 has no hashed form that works with RETAIN CURRENT
// PASSWORD, so it gets IDENTIFIED BY '...'; MySQL rewrites such statements
// before writing its general, slow and binary logs.
package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

const (
	defaultPort    = "3306"
	connectTimeout = 10 * time.Second
	ioTimeout      = 30 * time.Second
)

// Target is the MySQL/MariaDB target. It holds no connection between calls.
type Target struct {
	accountHost     string // --account-host: the account's host when the secret has no account_host
	reconcileGrants bool   // --reconcile-grants: alternate makes the incoming user's privileges match
}

// Open returns the target with the values of its own flags (Spec); it reads
// MYSQL_HOST, MYSQL_TCP_PORT and MYSQL_CA_CERT when it connects.
func Open(_ context.Context, f step.Flags) (Target, error) {
	return Target{accountHost: f.String("account-host"), reconcileGrants: f.Bool("reconcile-grants")}, nil
}

// Describe names the account and endpoint, never the password.
func (Target) Describe(creds core.Value) string {
	user, _ := creds.String("username")
	host, port := endpoint(creds)
	return fmt.Sprintf("mysql account %s at %s/%s", account{user: user, host: accountHost(creds, "")}, net.JoinHostPort(host, port), creds.Text("dbname"))
}

func endpoint(creds core.Value) (host, port string) {
	host, port = creds.Text("host"), creds.Text("port")
	if host == "" {
		host = os.Getenv("MYSQL_HOST")
	}
	if port == "" {
		port = os.Getenv("MYSQL_TCP_PORT")
	}
	if port == "" {
		port = defaultPort
	}
	return host, port
}

// accountHost is the host part of the account: the secret's account_host,
// else the --account-host flag, else %.
func accountHost(creds core.Value, flag string) string {
	if h, ok := creds.String("account_host"); ok && h != "" {
		return h
	}
	if flag != "" {
		return flag
	}
	return "%"
}

// sqlConn is the part of *sql.Conn the target uses.
type sqlConn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	Close() error
}

// conn is one connection, with what the server is.
type conn struct {
	db  *sql.DB
	c   sqlConn
	srv server
}

func (c *conn) Close() {
	c.c.Close()
	c.db.Close()
}

// connect logs in with creds and reads the server's version. The session's
// sql_mode loses NO_BACKSLASH_ESCAPES, so that quote() means what it says.
func connect(ctx context.Context, creds core.Value) (*conn, error) {
	cfg, err := config(creds)
	if err != nil {
		return nil, err
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: connection settings: %v", core.ErrUsage, err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	c, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, classify(err)
	}
	out := &conn{db: db, c: c}
	var version string
	err = c.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version)
	if err == nil {
		_, err = c.ExecContext(ctx, "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')")
	}
	if err != nil {
		out.Close()
		return nil, classify(err)
	}
	out.srv = parseVersion(version)
	return out, nil
}

func config(creds core.Value) (*mysql.Config, error) {
	user, ok := creds.String("username")
	if !ok || user == "" {
		return nil, fmt.Errorf("%w: secret has no username field", core.ErrUsage)
	}
	pw, ok := creds.String("password")
	if !ok {
		return nil, fmt.Errorf("%w: secret has no password field", core.ErrUsage)
	}
	host, port := endpoint(creds)
	if host == "" {
		return nil, fmt.Errorf("%w: no host: set host in the secret or MYSQL_HOST", core.ErrUsage)
	}
	if err := core.AppEndpoint(creds, os.Getenv("MYSQL_HOST"), port, defaultPort, "MYSQL_HOST"); err != nil {
		return nil, err
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = user, pw, "tcp", net.JoinHostPort(host, port), creds.Text("dbname")
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = connectTimeout, ioTimeout, ioTimeout
	cfg.Logger = log.New(discard{}, "", 0) // the driver would print to stderr
	if err := setTLS(cfg, tlsMode(creds, host), host); err != nil {
		return nil, err
	}
	return cfg, nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// classify maps driver and server errors onto the core classes. Server
// messages that can quote a statement (syntax errors) are dropped: the
// statement may hold a password or its hash.
func classify(err error) error {
	var me *mysql.MySQLError
	var ne net.Error
	if err == nil {
		return nil
	}
	if tlsErr := classifyTLS(err); tlsErr != nil {
		return tlsErr
	}
	switch {
	case errors.As(err, &me):
		return classifyServer(me)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne), errors.Is(err, mysql.ErrInvalidConn):
		return fmt.Errorf("%w: %v", core.ErrUnavailable, err)
	}
	return fmt.Errorf("mysql: %w", err)
}

func classifyServer(me *mysql.MySQLError) error {
	msg := fmt.Sprintf("%s (error %d)", me.Message, me.Number)
	switch me.Number {
	case 1045, 1698, 3118, 4151, 1862: // access denied at login, account locked, password expired
		return fmt.Errorf("%w: %s", core.ErrRejected, msg)
	case 1044, 1142, 1143, 1227, 1370, 1410, 1211: // no privilege for the statement
		return fmt.Errorf("%w: %s", core.ErrDenied, msg)
	case 1049, 1819, 3638: // unknown database; password policy or history refused the value
		return fmt.Errorf("%w: %s", core.ErrUsage, msg)
	case 1040, 1203, 1226, 1053, 2013:
		return fmt.Errorf("%w: %s", core.ErrUnavailable, msg)
	case 1205, 1213:
		return fmt.Errorf("%w: %s", core.ErrConflict, msg)
	case 1959, 3523, 3530, 1396, 1133, 1141, 1147, 1403, 1146, 1054, 1305:
		// The accounts, roles or objects are not in the state the statement
		// needs (role not granted, unknown role or account, no such grant,
		// table or column dropped meanwhile): they changed under the rotation.
		return fmt.Errorf("%w: %s", core.ErrConflict, msg)
	case 1064, 1105:
		return fmt.Errorf("mysql: statement refused (error %d)", me.Number)
	}
	return fmt.Errorf("mysql: %s", msg)
}

// refused classifies the error of a statement run once logged in: there,
// an access denied error (1045, 1698) is the admin lacking a privilege, for
// example a role it holds without ADMIN OPTION, not a refused login.
func refused(err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) && (me.Number == 1045 || me.Number == 1698) {
		return fmt.Errorf("%w: %s (error %d)", core.ErrDenied, me.Message, me.Number)
	}
	return classify(err)
}

// currentUser returns the user part of CURRENT_USER() (user@host).
func currentUser(ctx context.Context, c *conn) (user, host string, err error) {
	var who string
	if err := c.c.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&who); err != nil {
		return "", "", classify(err)
	}
	i := strings.LastIndex(who, "@")
	if i < 0 {
		return who, "", nil
	}
	return who[:i], who[i+1:], nil
}
