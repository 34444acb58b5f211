package kubernetes_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// env holds the servers and binaries shared by the package's tests.
var env testsrv.Env

func TestMain(m *testing.M) {
	os.Exit(testsrv.Main(m, testsrv.Needs{Bao: true, Kube: true, Postgres: true, Redis: true, Binaries: true}, &env))
}

// The names the documented Role grants (docs/targets/kubernetes.md).
const (
	secretName = "app-db"
	deployName = "app"
	saName     = "rotation-pack"
	keysJSON   = `{"username":"{username}","password":"{password}","DATABASE_URL":"postgresql://{username}:{password:url}@{host}:{port}/{dbname}"}`
)

// cluster is the admin's view, for setting up and checking behind the target's back.
type cluster struct {
	cs *kubernetes.Clientset
	mu sync.Mutex
	ns map[string]string // username -> namespace of its account
	// stores are the OpenBao store harnesses by test name.
	stores map[string]conformance.StoreHarness
}

func newCluster(t testing.TB) *cluster {
	cs, err := env.Kube.Client()
	if err != nil {
		t.Fatal(err)
	}
	return &cluster{cs: cs, ns: map[string]string{}}
}

// newNamespace makes a namespace with the app's Secret holding v, its
// Deployment (two replicas) and the documented Role bound to the rotation's
// service account; it returns the namespace, that account's kubeconfig and token.
func (c *cluster) newNamespace(t testing.TB, v core.Value) (ns, kubeconfig, token string) {
	t.Helper()
	ctx := context.Background()
	ns = "t-" + strings.ToLower(conformance.RandomID(""))
	if len(ns) > 40 {
		ns = ns[:40]
	}
	ns = strings.TrimRight(ns, "-")
	if _, err := c.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	data := map[string][]byte{}
	for _, k := range []string{"username", "password"} {
		data[k] = []byte(v.Text(k))
	}
	if _, err := c.cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: secretName}, Data: data}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.cs.AppsV1().Deployments(ns).Create(ctx, deployment(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	role, binding := testsrv.KubeDocRBAC(t, env.Root, ns)
	if _, err := c.cs.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.cs.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubeconfig, token, err := env.Kube.ServiceAccountKubeconfig(ctx, t.TempDir(), ns, saName)
	if err != nil {
		t.Fatal(err)
	}
	return ns, kubeconfig, token
}

func deployment() *appsv1.Deployment {
	two, zero := int32(2), int64(0)
	labels := map[string]string{"app": deployName}
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: deployName, Labels: labels},
		Spec: appsv1.DeploymentSpec{Replicas: &two, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{TerminationGracePeriodSeconds: &zero,
					Containers: []corev1.Container{{Name: "app", Image: "registry.invalid/app:1",
						EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: secretName}}}}}}}}}}
}

// login is "the application would log in with creds": the Secret it reads
// holds them, checked with the admin's client, not the target package.
func (c *cluster) login(ctx context.Context, creds core.Value) error {
	c.mu.Lock()
	ns, ok := c.ns[creds.Text("username")]
	c.mu.Unlock()
	if !ok {
		return errors.New("no such account")
	}
	sec, err := c.cs.CoreV1().Secrets(ns).Get(ctx, secretName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	pw := creds.Text("password")
	wantURL := fmt.Sprintf("postgresql://%s:%s@%s:%s/%s", creds.Text("username"),
		strings.ReplaceAll(url.QueryEscape(pw), "+", "%20"), creds.Text("host"), creds.Text("port"), creds.Text("dbname"))
	if !bytes.Equal(sec.Data["password"], []byte(pw)) || (sec.Data["DATABASE_URL"] != nil && string(sec.Data["DATABASE_URL"]) != wantURL) {
		return errors.New("the Secret holds another password")
	}
	return nil
}

func (c *cluster) harness(t *testing.T) conformance.TargetHarness {
	store := vaulttest.Harness(t, env.Bao.Addr, env.Bao.Token, env.BinDir)
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	store.Secrets = append(store.Secrets, env.Kube.AdminToken)
	return conformance.TargetHarness{
		Name:  "kubernetes",
		Store: store,
		Env:   []string{"KUBE_SECRET=" + secretName, "KUBE_CONSUMERS=deployment/" + deployName, "KUBE_SECRET_KEYS=" + keysJSON, "ROTATE_TIMEOUT=60s"},
		// The Secret holds one value whatever the strategy: the strategies differ only
		// on the database, so one is enough (dual would expect CURRENT in the
		// Secret right after a crash inside deploy, which is the database's promise).
		Strategies: []core.Strategy{core.Single},
		NewAccount: func(t testing.TB, r *conformance.Runner, s core.Strategy) (core.Ref, core.Value) {
			user := "app_" + conformance.RandomID("")
			pw := conformance.RandomID("initial-")
			r.Secret(pw)
			v, err := core.ParseValue([]byte(`{"engine":"postgres","host":"db.example","port":5432,"dbname":"app"}`))
			if err != nil {
				t.Fatal(err)
			}
			v = v.With("username", user).With("password", pw)
			ns, kc, token := c.newNamespace(t, v)
			c.mu.Lock()
			c.ns[user] = ns
			c.mu.Unlock()
			r.Secret(token)
			r.Env = append(r.Env, "KUBECONFIG="+kc) // the last one wins: one account per runner at a time
			return vaulttest.Put(t, vc, "conformance/k8s-"+conformance.RandomID(""), v), v
		},
		Login: c.login,
		Break: func(t testing.TB, creds core.Value) {
			c.mu.Lock()
			ns := c.ns[creds.Text("username")]
			c.mu.Unlock()
			ctx := context.Background()
			sec, err := c.cs.CoreV1().Secrets(ns).Get(ctx, secretName, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			sec.Data["password"] = []byte(conformance.RandomID("broken-"))
			if _, err := c.cs.CoreV1().Secrets(ns).Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		},
	}
}

func TestTargetConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs a Kubernetes control plane and OpenBao")
	}
	c := newCluster(t)
	conformance.TargetSuite(t, c.harness(t))
}
