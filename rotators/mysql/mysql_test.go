package mysql_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/hashicorp/vault/api"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// env holds the servers and binaries shared by the package's tests.
var env testsrv.Env

func TestMain(m *testing.M) {
	os.Exit(testsrv.Main(m, testsrv.Needs{Bao: true, MariaDB: true, MariaDBTLS: true, Binaries: true}, &env))
}

// appDB is the database whose privileges the test accounts hold.
const appDB = "rotation_app"

func needServers(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: needs MariaDB and OpenBao")
	}
}

// harness builds the target harness: secrets in OpenBao, accounts in
// MariaDB, and an admin with only the documented grants (adminGrants; the
// rich account adds its role WITH ADMIN OPTION).
func harness(t *testing.T) conformance.TargetHarness {
	store := vaulttest.Harness(t, env.Bao.Addr, env.Bao.Token, env.BinDir)
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	adminUser, adminPW := "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-pw-")
	acct := fmt.Sprintf("'%s'@'%%'", adminUser)
	adminExec(t, "CREATE DATABASE IF NOT EXISTS "+appDB,
		"CREATE TABLE IF NOT EXISTS "+appDB+".t (a INT, b INT)",
		"CREATE TABLE IF NOT EXISTS "+appDB+".cols (a INT, b INT)",
		fmt.Sprintf("CREATE USER %s IDENTIFIED BY '%s'", acct, adminPW))
	adminExec(t, adminGrants(acct)...)
	store.Secrets = append(store.Secrets, adminPW, env.MariaDB.AdminPassword)
	adminRef := vaulttest.Put(t, vc, "rotation-admin/my-"+conformance.RandomID(""), dbValue(adminUser, adminPW))
	return conformance.TargetHarness{
		Name:       "mysql",
		Store:      store,
		Env:        []string{"ROTATE_GRACE=10s"},
		Strategies: []core.Strategy{core.Single, core.Alternate},
		AdminRef:   adminRef.String(),
		NewAccount: func(t testing.TB, r *conformance.Runner, s core.Strategy) (core.Ref, core.Value) {
			return newAccount(t, r, vc, "app_"+conformance.RandomID(""))
		},
		NewRichAccount: func(t testing.TB, r *conformance.Runner) (core.Ref, core.Value) {
			return newRichAccount(t, r, vc, acct)
		},
		Behaviour: behaviour,
		Login:     login,
		Break: func(t testing.TB, creds core.Value) {
			user, _ := creds.String("username")
			adminExec(t, fmt.Sprintf("ALTER USER %s IDENTIFIED BY '%s'", account(user), conformance.RandomID("broken-")))
		},
	}
}

// adminGrants are the grants of the admin account acct, as documented:
// CREATE USER and PROCESS (change accounts, see their sessions), SELECT and
// UPDATE on mysql.* (SHOW GRANTS, resource limits and TLS requirements of
// other accounts; MariaDB's SET DEFAULT ROLE ... FOR another account), and
// every privilege the application holds WITH GRANT OPTION.
func adminGrants(acct string) []string {
	return []string{"GRANT CREATE USER, PROCESS ON *.* TO " + acct,
		"GRANT SELECT, UPDATE ON mysql.* TO " + acct,
		fmt.Sprintf("GRANT SELECT, INSERT, UPDATE, DELETE ON %s.* TO %s WITH GRANT OPTION", appDB, acct)}
}

func dbValue(user, password string) core.Value {
	v, err := core.ParseValue([]byte(`{"engine":"mysql","host":"127.0.0.1","dbname":"` + appDB + `"}`))
	if err != nil {
		panic(err)
	}
	return v.With("port", strconv.Itoa(env.MariaDB.Port)).With("username", user).With("password", password)
}

// account quotes 'user'@'%' for test statements (names with quotes too).
func account(user string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(user) + "'@'%'"
}

// newAccount creates an account with SELECT on the app database and stores
// its credential in Vault.
func newAccount(t testing.TB, r *conformance.Runner, vc *api.Client, user string) (core.Ref, core.Value) {
	pw := conformance.RandomID("initial-")
	r.Secret(pw)
	adminExec(t, fmt.Sprintf("CREATE USER %s IDENTIFIED BY '%s'", account(user), pw),
		fmt.Sprintf("GRANT SELECT ON %s.* TO %s", appDB, account(user)))
	v := dbValue(user, pw)
	return vaulttest.Put(t, vc, "conformance/my-"+conformance.RandomID(""), v), v
}

func adminExec(t testing.TB, stmts ...string) { t.Helper(); env.MariaDB.AdminExec(t, stmts...) }

// open opens a one-connection pool logged in with creds, without the target package.
func open(creds core.Value) *sql.DB {
	user, _ := creds.String("username")
	pw, _ := creds.String("password")
	cfg := env.MariaDB.Config(user, pw)
	cfg.TLSConfig = "preferred" // TLS when the server offers it, as the binaries on loopback
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		panic(err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	return db
}

// login logs in with creds and reads the app database.
func login(ctx context.Context, creds core.Value) error {
	db := open(creds)
	defer db.Close()
	return db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+appDB+".t").Scan(new(int))
}

func TestTargetConformance(t *testing.T) {
	needServers(t)
	conformance.TargetSuite(t, harness(t))
}
