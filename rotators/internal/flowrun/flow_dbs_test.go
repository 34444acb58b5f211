package flowrun_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// dbFlow is one of the flows of the MySQL and Redis targets.
type dbFlow struct {
	file       string
	strategies []string // the first is the flow's default
	// account creates the rotated account and the admin account on the
	// server and returns their credentials.
	account func(t *testing.T, user, pw, adminUser, adminPW string) (app, admin core.Value)
	login   func(creds core.Value) error
	// breakIt changes the user's password behind the flow's back.
	breakIt func(t *testing.T, user string)
}

func dbFlows() map[string]dbFlow {
	return map[string]dbFlow{
		"mysql": {file: "mysql-password-vault.yaml", strategies: []string{"single", "alternate"},
			account: mysqlAccount, login: mysqlLogin, breakIt: func(t *testing.T, user string) {
				env.MariaDB.AdminExec(t, fmt.Sprintf("ALTER USER '%s'@'%%' IDENTIFIED BY '%s'", user, conformance.RandomID("broken-")))
			}},
		"redis": {file: "redis-acl-password-vault.yaml", strategies: []string{"dual", "single"},
			account: redisAccount, login: redisLogin, breakIt: func(t *testing.T, user string) {
				env.Redis.AdminDo(t, "ACL", "SETUSER", user, "resetpass", ">"+conformance.RandomID("broken-"))
			}},
	}
}

func mysqlAccount(t *testing.T, user, pw, adminUser, adminPW string) (core.Value, core.Value) {
	acct, admin := fmt.Sprintf("'%s'@'%%'", user), fmt.Sprintf("'%s'@'%%'", adminUser)
	env.MariaDB.AdminExec(t, "CREATE DATABASE IF NOT EXISTS flow_app",
		fmt.Sprintf("CREATE USER %s IDENTIFIED BY '%s'", acct, pw), "GRANT SELECT ON flow_app.* TO "+acct,
		fmt.Sprintf("CREATE USER %s IDENTIFIED BY '%s'", admin, adminPW), "GRANT CREATE USER, PROCESS ON *.* TO "+admin,
		"GRANT SELECT ON mysql.* TO "+admin, "GRANT SELECT ON flow_app.* TO "+admin+" WITH GRANT OPTION")
	v := func(u, p string) core.Value {
		return core.Value{}.With("engine", "mysql").With("host", "127.0.0.1").With("port", strconv.Itoa(env.MariaDB.Port)).
			With("dbname", "flow_app").With("username", u).With("password", p)
	}
	return v(user, pw), v(adminUser, adminPW)
}

func mysqlLogin(creds core.Value) error {
	user, _ := creds.String("username")
	pw, _ := creds.String("password")
	conn, err := mysql.NewConnector(env.MariaDB.Config(user, pw))
	if err != nil {
		return err
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

func redisAccount(t *testing.T, user, pw, adminUser, adminPW string) (core.Value, core.Value) {
	env.Redis.RotationUsers(t, user, pw, adminUser, adminPW)
	v := func(u, p string) core.Value {
		return core.Value{}.With("engine", "redis").With("host", "127.0.0.1").With("port", strconv.Itoa(env.Redis.Port)).
			With("username", u).With("password", p)
	}
	return v(user, pw), v(adminUser, adminPW)
}

func redisLogin(creds core.Value) error {
	user, _ := creds.String("username")
	pw, _ := creds.String("password")
	c := env.Redis.Client(user, pw)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	return nil
}

// newDBFixture creates the account and admin of d, stores both in Vault
// under a prefix of their own and gives the flow a token with the policy.
func newDBFixture(t *testing.T, d dbFlow) *fixture {
	t.Helper()
	f := &fixture{vc: vaulttest.Client(t, env.Bao.Addr, env.Bao.Token), user: "app_" + conformance.RandomID(""), seen: seenValues{}}
	prefix := "flowrun-" + conformance.RandomID("") + "/"
	f.token = vaulttest.PolicyToken(t, f.vc, prefix)
	pw, adminUser, adminPW := conformance.RandomID("initial-"), "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-")
	app, admin := d.account(t, f.user, pw, adminUser, adminPW)
	f.initial, f.path = app, prefix+"orders/db"
	f.secretRef = vaulttest.Put(t, f.vc, f.path, app).String()
	f.adminRef = vaulttest.Put(t, f.vc, "rotation-admin/"+prefix+"orders/db", admin).String()
	f.seen.see(pw, adminPW, env.Bao.Token, f.token)
	return f
}

// runDB runs d's flow for f with a strategy; before, if set, runs before each task.
func runDB(t *testing.T, d dbFlow, f *fixture, strategy string, dryRun bool, before func(string)) *flowrun.Execution {
	t.Helper()
	r := &flowrun.Runner{Secrets: map[string]string{"VAULT_TOKEN": f.token}, Envs: map[string]string{"VAULT_ADDR": env.Bao.Addr}, BeforeTask: before}
	inputs := flowInputs(f.secretRef, f.adminRef, strategy, dryRun)
	inputs["grace"] = "20s"
	return runFlow(t, d.file, r, inputs)
}
