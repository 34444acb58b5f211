package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// env holds the servers and binaries shared by the package's tests.
var env testsrv.Env

func TestMain(m *testing.M) {
	os.Exit(testsrv.Main(m, testsrv.Needs{Bao: true, Postgres: true, Moto: true, GCPSM: true, AzKV: true, Binaries: true, Kube: true}, &env))
}

// putFunc writes a secret value under a fresh name in a store.
type putFunc func(t testing.TB, name string, v core.Value) core.Ref

// harness builds the target harness: secrets in OpenBao, roles in PostgreSQL.
func harness(t *testing.T) conformance.TargetHarness {
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	return harnessWith(t, vaulttest.Harness(t, env.Bao.Addr, env.Bao.Token, env.BinDir),
		func(t testing.TB, name string, v core.Value) core.Ref { return vaulttest.Put(t, vc, name, v) })
}

// harnessWith builds the target harness with the secrets kept in any store.
func harnessWith(t *testing.T, store conformance.StoreHarness, put putFunc) conformance.TargetHarness {
	// The admin the binaries use has only the grants the README documents:
	// CREATEROLE, and pg_read_all_stats for the usage check before revoke.
	adminUser, adminPW := "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-pw-")
	adminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN CREATEROLE IN ROLE pg_read_all_stats PASSWORD %s", adminUser, quote(adminPW)))
	store.Secrets = append(store.Secrets, adminPW, env.PG.AdminPassword)
	adminRef := put(t, "rotation-admin/pg-"+conformance.RandomID(""), dbValue(adminUser, adminPW))
	return conformance.TargetHarness{
		Name:       "postgres",
		Store:      store,
		Strategies: []core.Strategy{core.Single, core.Alternate},
		AdminRef:   adminRef.String(),
		NewAccount: func(t testing.TB, r *conformance.Runner, s core.Strategy) (core.Ref, core.Value) {
			return newAccount(t, r, put, "app_"+conformance.RandomID(""))
		},
		NewRichAccount: func(t testing.TB, r *conformance.Runner) (core.Ref, core.Value) {
			return newRichAccount(t, r, put, "rich_"+conformance.RandomID(""))
		},
		Behaviour: behaviour,
		Login:     login,
		Break: func(t testing.TB, creds core.Value) {
			user, _ := creds.String("username")
			adminExec(t, fmt.Sprintf("ALTER ROLE %s PASSWORD %s", pgx.Identifier{user}.Sanitize(), quote(conformance.RandomID("broken-"))))
		},
	}
}

func dbValue(user, password string) core.Value {
	v, err := core.ParseValue([]byte(`{"engine":"postgres","host":"127.0.0.1","dbname":"postgres"}`))
	if err != nil {
		panic(err)
	}
	return v.With("port", strconv.Itoa(env.PG.Port)).With("username", user).With("password", password)
}

// newAccount creates a login role in a group role that holds its privileges,
// and stores its credential with put.
func newAccount(t testing.TB, r *conformance.Runner, put putFunc, user string) (core.Ref, core.Value) {
	pw := conformance.RandomID("initial-")
	r.Secret(pw)
	group := pgx.Identifier{user + "_group"}.Sanitize()
	adminExec(t, "CREATE ROLE "+group)
	adminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD %s IN ROLE %s", pgx.Identifier{user}.Sanitize(), quote(pw), group))
	v := dbValue(user, pw)
	return put(t, "conformance/pg-"+conformance.RandomID(""), v), v
}

func quote(s string) string { return "'" + s + "'" } // test values have no quotes

func adminExec(t testing.TB, sql string) { t.Helper(); env.PG.AdminExec(t, sql) }

// login connects with creds directly, without the target package.
func login(ctx context.Context, creds core.Value) error {
	user, _ := creds.String("username")
	pw, _ := creds.String("password")
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, pw), Host: "127.0.0.1:" + creds.Text("port"), Path: "/postgres"}
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, "SELECT 1").Scan(new(int))
}

func TestTargetConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL and OpenBao")
	}
	conformance.TargetSuite(t, harness(t))
}
