package mysql_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/hashicorp/vault/api"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// newRichAccount creates an account whose table privilege comes only
// through a role (its name and "_reader") that is its default role, with column grants, resource
// limits and REQUIRE SSL. The admin acct gets the role WITH ADMIN OPTION,
// as documented.
func newRichAccount(t testing.TB, r *conformance.Runner, vc *api.Client, adminAcct string) (core.Ref, core.Value) {
	user, pw := "rich_"+conformance.RandomID(""), conformance.RandomID("initial-")
	r.Secret(pw)
	role := user + "_reader"
	adminExec(t, "CREATE ROLE "+role,
		fmt.Sprintf("GRANT SELECT ON %s.t TO %s", appDB, role),
		fmt.Sprintf("GRANT %s TO %s WITH ADMIN OPTION", role, adminAcct),
		fmt.Sprintf("CREATE USER %s IDENTIFIED BY '%s' REQUIRE SSL WITH MAX_USER_CONNECTIONS 40 MAX_QUERIES_PER_HOUR 100000", account(user), pw),
		fmt.Sprintf("GRANT %s TO %s", role, account(user)),
		fmt.Sprintf("SET DEFAULT ROLE %s FOR %s", role, account(user)),
		fmt.Sprintf("GRANT SELECT (a), UPDATE (a) ON %s.cols TO %s", appDB, account(user)))
	v := dbValue(user, pw)
	return vaulttest.Put(t, vc, "conformance/my-rich-"+conformance.RandomID(""), v), v
}

// behaviour logs in with creds (over TLS, then without) and says what the
// account may do, which role is active, and its limits and TLS requirement
// as the server holds them.
func behaviour(t testing.TB, creds core.Value) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	db := open(creds)
	defer db.Close()
	var out []string
	var role sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT CURRENT_ROLE()").Scan(&role); err != nil {
		t.Fatalf("behaviour: log in: %v", err)
	}
	out = append(out, "role "+role.String)
	for _, q := range []string{
		"SELECT COUNT(*) FROM " + appDB + ".t", "SELECT a FROM " + appDB + ".cols", "SELECT b FROM " + appDB + ".cols",
		"UPDATE " + appDB + ".cols SET a = a WHERE 0", "UPDATE " + appDB + ".cols SET b = b WHERE 0",
		"SELECT * FROM " + appDB + ".t JOIN " + appDB + ".cols",
	} {
		_, err := db.ExecContext(ctx, q)
		out = append(out, fmt.Sprintf("%s: %v", q, errNumber(err)))
	}
	user, _ := creds.String("username")
	out = append(out, "without TLS: "+plainLogin(ctx, creds), "limits: "+limitsOf(t, user))
	return strings.Join(out, "\n")
}

// errNumber is the server's error number, or ok: the messages name the user.
func errNumber(err error) string {
	if me, ok := err.(*mysql.MySQLError); ok {
		return fmt.Sprintf("error %d", me.Number)
	}
	if err != nil {
		return err.Error()
	}
	return "ok"
}

func plainLogin(ctx context.Context, creds core.Value) string {
	user, _ := creds.String("username")
	pw, _ := creds.String("password")
	cfg := env.MariaDB.Config(user, pw)
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return err.Error()
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	return errNumber(db.PingContext(ctx))
}

// limitsOf reads the account's resource limits and TLS requirement as root.
func limitsOf(t testing.TB, user string) string {
	db := env.MariaDB.AdminDB(t)
	defer db.Close()
	var ssl, q, u, c, uc, st string
	err := db.QueryRow("SELECT ssl_type, max_questions, max_updates, max_connections, max_user_connections, max_statement_time FROM mysql.user WHERE User = ? AND Host = '%'", user).
		Scan(&ssl, &q, &u, &c, &uc, &st)
	if err != nil {
		t.Fatalf("read the limits of %s: %v", user, err)
	}
	return strings.Join([]string{ssl, q, u, c, uc, st}, " ")
}

// adminOf is the admin account of the harness, 'user'@'%'.
func adminOf(t testing.TB, h conformance.TargetHarness) string {
	t.Helper()
	ref, err := core.ParseRef(h.AdminRef)
	if err != nil {
		t.Fatal(err)
	}
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	sec, err := vc.KVv2(ref.Host).Get(context.Background(), ref.Path)
	if err != nil {
		t.Fatalf("read the admin secret: %v", err)
	}
	name, _ := sec.Data["username"].(string)
	return account(name)
}
