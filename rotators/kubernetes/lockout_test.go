package kubernetes_test

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// TestNoLockout: an application that re-reads its Kubernetes Secret through
// the API (as a pod re-reading a mounted Secret does) logs in to the
// database with it every few milliseconds, while two whole rotations run
// with the real binaries in the order of docs/targets/kubernetes.md "Where
// it runs in a rotation". alternate (PostgreSQL) and dual (Redis: the
// PostgreSQL target refuses dual) never fail a login; single's failing
// window (the database's deploy to the Secret's write after promote) is
// logged and bounded.
func TestNoLockout(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs a Kubernetes control plane, PostgreSQL, Redis and OpenBao")
	}
	c := newCluster(t)
	t.Run("postgres", func(t *testing.T) { conformance.LockoutSuite(t, pgHarness(t, c)) })
	t.Run("redis", func(t *testing.T) { conformance.LockoutSuite(t, redisHarness(t, c)) })
}

// lockoutSteps are the rotation's steps with the consumers step in place.
func lockoutSteps(s core.Strategy) []string {
	if s == core.Single { // the database took the new password: the consumers follow before revoke
		return []string{"stage", "deploy", "validate", "promote",
			"kubernetes-deploy --stage current", "kubernetes-validate --stage current", "revoke"}
	}
	return []string{"stage", "deploy", "validate", "kubernetes-deploy", "kubernetes-validate", "promote", "revoke"}
}

// pgHarness is the PostgreSQL target with each account's credential also
// delivered into a namespace's Secret, read there by the application.
func pgHarness(t *testing.T, c *cluster) conformance.TargetHarness {
	store := vaulttest.Harness(t, env.Bao.Addr, env.Bao.Token, env.BinDir)
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	adminUser, adminPW := "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-pw-")
	env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN CREATEROLE IN ROLE pg_read_all_stats PASSWORD '%s'", adminUser, adminPW))
	store.Secrets = append(store.Secrets, adminPW, env.PG.AdminPassword)
	h := conformance.TargetHarness{
		Name:       "postgres",
		Store:      store,
		Strategies: []core.Strategy{core.Alternate, core.Single},
		AdminRef:   vaulttest.Put(t, vc, "rotation-admin/pg-"+conformance.RandomID(""), pgValue(adminUser, adminPW)).String(),
		Login:      pgLogin,
	}
	return viaSecret(t, c, h, keysJSON, func(t testing.TB, user, pw string) core.Value {
		env.PG.AdminExec(t, "CREATE ROLE "+user+"_group")
		env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s' IN ROLE %s_group", user, pw, user))
		return pgValue(user, pw)
	})
}

// redisHarness is the Redis target (ACL users; dual keeps both passwords
// during the rotation) delivered the same way.
func redisHarness(t *testing.T, c *cluster) conformance.TargetHarness {
	store := vaulttest.Harness(t, env.Bao.Addr, env.Bao.Token, env.BinDir)
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	adminUser, adminPW := "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-pw-")
	store.Secrets = append(store.Secrets, adminPW, env.Redis.AdminPassword)
	h := conformance.TargetHarness{
		Name:       "redis",
		Store:      store,
		Strategies: []core.Strategy{core.Dual, core.Single},
		AdminRef:   vaulttest.Put(t, vc, "rotation-admin/redis-"+conformance.RandomID(""), redisValue(adminUser, adminPW)).String(),
		Login: func(ctx context.Context, creds core.Value) error {
			cl := env.Redis.Client(creds.Text("username"), creds.Text("password"))
			defer cl.Close()
			return cl.Ping(ctx).Err()
		},
	}
	return viaSecret(t, c, h, `{"username":"{username}","password":"{password}"}`, func(t testing.TB, user, pw string) core.Value {
		env.Redis.RotationUsers(t, user, pw, adminUser, adminPW) // the account, and the documented admin
		return redisValue(user, pw)
	})
}

// viaSecret makes h's accounts reach the application through a Kubernetes
// Secret (keys: KUBE_SECRET_KEYS) that kubernetes-deploy writes and the
// application re-reads, with its own client: client-go's default rate
// limit (5 requests a second) would throttle the loop, not measure the
// rotation. newUser creates an account on the database.
func viaSecret(t *testing.T, c *cluster, h conformance.TargetHarness, keys string, newUser func(t testing.TB, user, pw string) core.Value) conformance.TargetHarness {
	rc, err := clientcmd.BuildConfigFromFlags("", env.Kube.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	rc.QPS = -1
	app, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	type account struct {
		ns      string     // the namespace of its Secret
		initial core.Value // where the database is
	}
	var mu sync.Mutex
	accounts := map[string]account{} // by secret reference
	h.Store.Secrets = append(h.Store.Secrets, env.Kube.AdminToken)
	h.Env = append(h.Env, "KUBE_CONSUMERS=deployment/"+deployName, "KUBE_SECRET_KEYS="+keys, "ROTATE_TIMEOUT=60s")
	h.NewAccount = func(t testing.TB, r *conformance.Runner, _ core.Strategy) (core.Ref, core.Value) {
		user, pw := "app_"+conformance.RandomID(""), conformance.RandomID("initial-")
		r.Secret(pw)
		v := newUser(t, user, pw)
		ns, kc, token := c.newNamespace(t, v)
		r.Secret(token)
		r.Env = append(r.Env, "KUBECONFIG="+kc, "KUBE_SECRET="+ns+"/"+secretName) // the last ones win
		ref := vaulttest.Put(t, vc, "conformance/lockout-"+h.Name+"-"+conformance.RandomID(""), v)
		mu.Lock()
		accounts[ref.String()] = account{ns, v}
		mu.Unlock()
		return ref, v
	}
	h.Lockout = &conformance.LockoutPlan{
		Name:  h.Name + "+kubernetes",
		Steps: lockoutSteps,
		Turns: 2, // alternate's second turn changes the password the application used first
		Read: func(ctx context.Context, ref core.Ref) (core.Value, error) {
			mu.Lock()
			a := accounts[ref.String()]
			mu.Unlock()
			sec, err := app.CoreV1().Secrets(a.ns).Get(ctx, secretName, metav1.GetOptions{})
			if err != nil {
				return core.Value{}, err
			}
			return a.initial.With("username", string(sec.Data["username"])).With("password", string(sec.Data["password"])), nil
		},
	}
	return h
}

func redisValue(user, password string) core.Value {
	v, err := core.ParseValue([]byte(`{"engine":"redis","host":"127.0.0.1"}`))
	if err != nil {
		panic(err) // a constant
	}
	return v.With("port", strconv.Itoa(env.Redis.Port)).With("username", user).With("password", password)
}

// pgValue is a PostgreSQL credential of the test server.
func pgValue(user, password string) core.Value {
	v, err := core.ParseValue([]byte(`{"engine":"postgres","host":"127.0.0.1","dbname":"postgres"}`))
	if err != nil {
		panic(err) // a constant
	}
	return v.With("port", strconv.Itoa(env.PG.Port)).With("username", user).With("password", password)
}

// pgLogin connects with creds and runs a query, without the target package.
func pgLogin(ctx context.Context, creds core.Value) error {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(creds.Text("username"), creds.Text("password")),
		Host: "127.0.0.1:" + creds.Text("port"), Path: "/postgres"}
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, "SELECT 1").Scan(new(int))
}
