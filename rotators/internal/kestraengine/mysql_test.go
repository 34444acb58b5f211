package kestraengine

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

func mysqlLogsIn(user, password string) bool {
	conn, err := mysql.NewConnector(env.MariaDB.Config(user, password))
	if err != nil {
		return false
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return db.PingContext(ctx) == nil
}

// TestMySQLVault runs flows/mysql-password-vault.yaml (single) in Kestra's
// engine against MariaDB: a rotation, and a wrong admin secret through
// errors:.
func TestMySQLVault(t *testing.T) {
	k := kestra(t)
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	// A wrong admin secret: the errors branch discards PENDING, and
	// mysql-deploy --stage current succeeds without the admin, MariaDB
	// keeping one password per account (nothing to remove); MariaDB was
	// never changed.
	for _, tt := range storeCases {
		t.Run(tt.name, func(t *testing.T) {
			user, initial := "app_"+conformance.RandomID(""), conformance.RandomID("initial-")
			adminUser, adminPW := "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-")
			acct, admin := fmt.Sprintf("'%s'@'%%'", user), fmt.Sprintf("'%s'@'%%'", adminUser)
			env.MariaDB.AdminExec(t, "CREATE DATABASE IF NOT EXISTS kengine_app",
				fmt.Sprintf("CREATE USER %s IDENTIFIED BY '%s'", acct, initial), "GRANT SELECT ON kengine_app.* TO "+acct,
				fmt.Sprintf("CREATE USER %s IDENTIFIED BY '%s'", admin, adminPW), "GRANT CREATE USER, PROCESS ON *.* TO "+admin,
				"GRANT SELECT ON mysql.* TO "+admin, "GRANT SELECT ON kengine_app.* TO "+admin+" WITH GRANT OPTION")
			stored := adminPW
			if tt.wrongAdmin {
				stored = conformance.RandomID("wrong-")
			}
			v := func(u, p string) core.Value {
				return core.Value{}.With("engine", "mysql").With("host", "127.0.0.1").With("port", strconv.Itoa(env.MariaDB.Port)).
					With("dbname", "kengine_app").With("username", u).With("password", p)
			}
			id := conformance.RandomID("")
			f := &pgFixture{vc: vc, path: prefix + id + "/mysql", initial: initial}
			secretRef := vaulttest.Put(t, vc, f.path, v(user, initial)).String()
			adminRef := vaulttest.Put(t, vc, "rotation-admin/"+prefix+id+"/mysql", v(adminUser, stored)).String()
			_, before := f.current(t)
			x := k.run(t, "flows/mysql-password-vault.yaml", nil, map[string]string{"secret": secretRef, "admin_secret": adminRef,
				"strategy": "single", "grace": "5s"})
			x.check(t, "mysql-password-vault ("+tt.name+")", tt.wantState, tt.wantTasks)
			if tt.wrongAdmin && !x.logged("rollback", "rolled back: PENDING discarded") {
				t.Errorf("rollback did not discard PENDING\n%s", x)
			}
			cur, after := f.current(t)
			if !tt.wrongAdmin {
				if after != before+1 || cur == initial || !mysqlLogsIn(user, cur) || mysqlLogsIn(user, initial) {
					t.Errorf("got version %d (was %d); want a new CURRENT that logs in and the old password refused", after, before)
				}
			} else if after != before || cur != initial || !mysqlLogsIn(user, initial) {
				t.Errorf("got version %d (was %d); want Vault and MariaDB unchanged", after, before)
			}
			scan(t, x, []string{initial, adminPW, stored, cur, env.MariaDB.AdminPassword, env.Bao.Token, flowToken})
		})
	}
}
