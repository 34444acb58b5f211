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
// the API (as a pod re-reading a mounted Secret does) logs in to PostgreSQL
// with it every few milliseconds, while two whole rotations run with the
// real binaries in the order of docs/targets/kubernetes.md "Where it runs in
// a rotation". alternate never fails a login; single's failing window (the
// database's deploy to the Secret's write after promote) is logged and
// bounded. dual is not measured: the PostgreSQL target refuses it.
func TestNoLockout(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs a Kubernetes control plane, PostgreSQL and OpenBao")
	}
	conformance.LockoutSuite(t, pgHarness(t, newCluster(t)))
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
	store.Secrets = append(store.Secrets, adminPW, env.PG.AdminPassword, env.Kube.AdminToken)
	adminRef := vaulttest.Put(t, vc, "rotation-admin/pg-"+conformance.RandomID(""), pgValue(adminUser, adminPW))

	// The application's own client: client-go's default rate limit (5
	// requests a second) would throttle the loop, not measure the rotation.
	rc, err := clientcmd.BuildConfigFromFlags("", env.Kube.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	rc.QPS = -1
	app, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	namespaces := map[string]string{} // secret reference -> the namespace of its Secret

	return conformance.TargetHarness{
		Name:       "postgres",
		Store:      store,
		Env:        []string{"KUBE_CONSUMERS=deployment/" + deployName, "KUBE_SECRET_KEYS=" + keysJSON, "ROTATE_TIMEOUT=60s"},
		Strategies: []core.Strategy{core.Alternate, core.Single},
		AdminRef:   adminRef.String(),
		NewAccount: func(t testing.TB, r *conformance.Runner, _ core.Strategy) (core.Ref, core.Value) {
			user, pw := "app_"+conformance.RandomID(""), conformance.RandomID("initial-")
			r.Secret(pw)
			env.PG.AdminExec(t, "CREATE ROLE "+user+"_group")
			env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s' IN ROLE %s_group", user, pw, user))
			v := pgValue(user, pw)
			ns, kc, token := c.newNamespace(t, v)
			r.Secret(token)
			r.Env = append(r.Env, "KUBECONFIG="+kc, "KUBE_SECRET="+ns+"/"+secretName) // the last ones win
			ref := vaulttest.Put(t, vc, "conformance/lockout-pg-"+conformance.RandomID(""), v)
			mu.Lock()
			namespaces[ref.String()] = ns
			mu.Unlock()
			return ref, v
		},
		Login: pgLogin,
		Lockout: &conformance.LockoutPlan{
			Name:  "postgres+kubernetes",
			Steps: lockoutSteps,
			Turns: 2, // alternate's second turn changes the password the application used first
			Read: func(ctx context.Context, ref core.Ref) (core.Value, error) {
				mu.Lock()
				ns := namespaces[ref.String()]
				mu.Unlock()
				sec, err := app.CoreV1().Secrets(ns).Get(ctx, secretName, metav1.GetOptions{})
				if err != nil {
					return core.Value{}, err
				}
				return pgValue(string(sec.Data["username"]), string(sec.Data["password"])), nil
			},
		},
	}
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
