package redis_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"testing"

	"github.com/hashicorp/vault/api"
	"github.com/redis/go-redis/v9"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// env holds the servers and binaries shared by the package's tests.
var env testsrv.Env

func TestMain(m *testing.M) {
	os.Exit(testsrv.Main(m, testsrv.Needs{Bao: true, Redis: true, Binaries: true}, &env))
}

func needServers(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: needs Redis and OpenBao")
	}
}

// adminRules are the ACL rules of the rotation admin the README documents.
var adminRules = []any{"-@all", "+acl|setuser", "+acl|getuser", "+acl|save", "+client|list", "+client|id", "+ping", "+time"}

// harness builds the target harness: secrets in OpenBao, ACL users in Redis,
// and an admin with only the ACL permissions the README documents.
func harness(t *testing.T) conformance.TargetHarness {
	store := vaulttest.Harness(t, env.Bao.Addr, env.Bao.Token, env.BinDir)
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	adminUser, adminPW := "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-pw-")
	env.Redis.AdminDo(t, append([]any{"ACL", "SETUSER", adminUser, "on", ">" + adminPW}, adminRules...)...)
	store.Secrets = append(store.Secrets, adminPW, env.Redis.AdminPassword)
	adminRef := vaulttest.Put(t, vc, "rotation-admin/redis-"+conformance.RandomID(""), value(adminUser, adminPW))
	return conformance.TargetHarness{
		Name:       "redis",
		Store:      store,
		Env:        []string{"ROTATE_GRACE=10s"},
		Strategies: []core.Strategy{core.Dual, core.Single},
		AdminRef:   adminRef.String(),
		NewAccount: func(t testing.TB, r *conformance.Runner, s core.Strategy) (core.Ref, core.Value) {
			return newAccount(t, r, vc, "app_"+conformance.RandomID(""))
		},
		Login: login,
		Break: func(t testing.TB, creds core.Value) {
			user, _ := creds.String("username")
			env.Redis.AdminDo(t, "ACL", "SETUSER", user, "resetpass", ">"+conformance.RandomID("broken-"))
		},
	}
}

func value(user, password string) core.Value {
	v, err := core.ParseValue([]byte(`{"engine":"redis","host":"127.0.0.1"}`))
	if err != nil {
		panic(err)
	}
	return v.With("port", strconv.Itoa(env.Redis.Port)).With("username", user).With("password", password)
}

// newAccount creates an ACL user that may read and write app:* keys, and
// stores its credential in Vault.
func newAccount(t testing.TB, r *conformance.Runner, vc *api.Client, user string) (core.Ref, core.Value) {
	pw := conformance.RandomID("initial-")
	r.Secret(pw)
	env.Redis.AdminDo(t, "ACL", "SETUSER", user, "on", ">"+pw, "~app:*", "-@all", "+ping", "+get", "+set")
	v := value(user, pw)
	return vaulttest.Put(t, vc, "conformance/redis-"+conformance.RandomID(""), v), v
}

// login authenticates as the ACL user and reads a key, without the target package.
func login(ctx context.Context, creds core.Value) error {
	user, _ := creds.String("username")
	pw, _ := creds.String("password")
	c := env.Redis.Client(user, pw)
	defer c.Close()
	if err := c.Get(ctx, "app:probe").Err(); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	return nil
}

func TestTargetConformance(t *testing.T) {
	needServers(t)
	conformance.TargetSuite(t, harness(t))
}
