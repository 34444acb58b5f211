package faults

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm/awssmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// targetKit is one target of the fault tests. Credentials name the proxy's
// port, so the binaries go through it; login connects to the server
// directly, whatever port the credential names.
type targetKit struct {
	name     string
	strategy core.Strategy
	upstream string
	mints    bool
	env      []string
	stepArgs map[string][]string
	account  func(t testing.TB, r *conformance.Runner, port string) core.Value
	admin    func(t testing.TB, port string) core.Value // nil: no admin credential
	login    func(ctx context.Context, creds core.Value) error
	via      func(addr string) []string // environment sending the binaries through the proxy
}

// rdsValue is an RDS-shaped credential on 127.0.0.1:port.
func rdsValue(engine, db, port, user, pw string) core.Value {
	v, err := core.ParseValue(fmt.Appendf(nil, `{"engine":%q,"host":"127.0.0.1","dbname":%q}`, engine, db))
	if err != nil {
		panic(err) // constant shape
	}
	return v.With("port", port).With("username", user).With("password", pw)
}

func creds(v core.Value) (user, pw string) {
	user, _ = v.String("username")
	pw, _ = v.String("password")
	return user, pw
}

// postgresKit: roles in a group role that holds the privileges; the admin
// has the grants of docs/targets/postgres.md.
func postgresKit() targetKit {
	return targetKit{
		name: "postgres", strategy: core.Alternate, upstream: fmt.Sprintf("127.0.0.1:%d", env.PG.Port),
		account: func(t testing.TB, r *conformance.Runner, port string) core.Value {
			user, pw := "app_"+conformance.RandomID(""), conformance.RandomID("initial-")
			r.Secret(pw)
			group := pgx.Identifier{user + "_group"}.Sanitize()
			env.PG.AdminExec(t, "CREATE ROLE "+group)
			env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s' IN ROLE %s", user, pw, group))
			return rdsValue("postgres", "postgres", port, user, pw)
		},
		admin: func(t testing.TB, port string) core.Value {
			user, pw := "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-pw-")
			env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN CREATEROLE IN ROLE pg_read_all_stats PASSWORD '%s'", user, pw))
			return rdsValue("postgres", "postgres", port, user, pw)
		},
		login: func(ctx context.Context, v core.Value) error {
			user, pw := creds(v)
			conn, err := pgx.Connect(ctx, env.PG.DSN(user, pw, "postgres"))
			if err != nil {
				return err
			}
			defer conn.Close(ctx)
			return conn.QueryRow(ctx, "SELECT 1").Scan(new(int))
		},
		via: func(string) []string { return nil },
	}
}

const mysqlDB = "rotation_faults"

// mysqlKit: accounts with SELECT on one database; the admin has the grants of docs/targets/mysql.md.
func mysqlKit() targetKit {
	acct := func(user string) string { return "'" + user + "'@'%'" }
	return targetKit{
		name: "mysql", strategy: core.Alternate, upstream: fmt.Sprintf("127.0.0.1:%d", env.MariaDB.Port),
		account: func(t testing.TB, r *conformance.Runner, port string) core.Value {
			user, pw := "app_"+conformance.RandomID(""), conformance.RandomID("initial-")
			r.Secret(pw)
			env.MariaDB.AdminExec(t, fmt.Sprintf("CREATE USER %s IDENTIFIED BY '%s'", acct(user), pw),
				fmt.Sprintf("GRANT SELECT ON %s.* TO %s", mysqlDB, acct(user)))
			return rdsValue("mysql", mysqlDB, port, user, pw)
		},
		admin: func(t testing.TB, port string) core.Value {
			user, pw := "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-pw-")
			env.MariaDB.AdminExec(t, "CREATE DATABASE IF NOT EXISTS "+mysqlDB,
				fmt.Sprintf("CREATE USER %s IDENTIFIED BY '%s'", acct(user), pw),
				"GRANT CREATE USER, PROCESS ON *.* TO "+acct(user),
				"GRANT SELECT ON mysql.* TO "+acct(user),
				fmt.Sprintf("GRANT SELECT ON %s.* TO %s WITH GRANT OPTION", mysqlDB, acct(user)))
			return rdsValue("mysql", mysqlDB, port, user, pw)
		},
		login: func(ctx context.Context, v core.Value) error {
			conn, err := mysql.NewConnector(env.MariaDB.Config(creds(v)))
			if err != nil {
				return err
			}
			db := sql.OpenDB(conn)
			defer db.Close()
			return db.PingContext(ctx)
		},
		via: func(string) []string { return nil },
	}
}

// redisKit: ACL users; the admin has the ACL rules of docs/targets/redis.md.
func redisKit() targetKit {
	value := func(port, user, pw string) core.Value {
		v, err := core.ParseValue([]byte(`{"engine":"redis","host":"127.0.0.1"}`))
		if err != nil {
			panic(err)
		}
		return v.With("port", port).With("username", user).With("password", pw)
	}
	return targetKit{
		name: "redis", strategy: core.Dual, upstream: env.Redis.Addr(),
		account: func(t testing.TB, r *conformance.Runner, port string) core.Value {
			user, pw := "app_"+conformance.RandomID(""), conformance.RandomID("initial-")
			r.Secret(pw)
			env.Redis.AdminDo(t, "ACL", "SETUSER", user, "on", ">"+pw, "~app:*", "-@all", "+ping", "+get")
			return value(port, user, pw)
		},
		admin: func(t testing.TB, port string) core.Value {
			user, pw := "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-pw-")
			env.Redis.AdminDo(t, "ACL", "SETUSER", user, "on", ">"+pw, "-@all", "+acl|setuser", "+acl|getuser",
				"+acl|save", "+client|list", "+client|id", "+ping", "+time")
			return value(port, user, pw)
		},
		login: func(ctx context.Context, v core.Value) error {
			c := env.Redis.Client(creds(v))
			defer c.Close()
			if err := c.Get(ctx, "app:probe").Err(); err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
			return nil
		},
		via: func(string) []string { return nil },
	}
}

// awsiamKit: IAM users in moto; IAM and STS go through the proxy, Secrets
// Manager does not.
func awsiamKit() targetKit {
	ic := iam.NewFromConfig(env.Moto.AWSConfig(env.Moto.AdminKeyID, env.Moto.AdminSecret))
	return targetKit{
		name: "awsiam", strategy: core.Single, upstream: strings.TrimPrefix(env.Moto.Endpoint, "http://"), mints: true,
		env:      []string{"AWSIAM_CONSISTENCY_WAIT=0s"},
		stepArgs: map[string][]string{"revoke": {"--grace", "0s"}},
		account: func(t testing.TB, r *conformance.Runner, _ string) core.Value {
			return awssmtest.IAMUser(t, ic, r, "faults-"+conformance.RandomID(""))
		},
		login: func(ctx context.Context, v core.Value) error {
			id, _ := v.String("access_key_id")
			secret, _ := v.String("secret_access_key")
			_, err := sts.NewFromConfig(env.Moto.AWSConfig(id, secret)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		},
		via: func(addr string) []string {
			return []string{"AWS_ENDPOINT_URL_IAM=http://" + addr, "AWS_ENDPOINT_URL_STS=http://" + addr}
		},
	}
}
