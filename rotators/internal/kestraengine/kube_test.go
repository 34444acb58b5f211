package kestraengine

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

// The names the documented Role grants (docs/targets/kubernetes.md).
const (
	kubeSecret     = "app-db"
	kubeDeployment = "app"
	kubeAccount    = "rotation-pack"
)

// kubeCase is one execution of postgres-password-vault with its consumers
// step configured.
type kubeCase struct {
	name       string
	strategy   string
	wrongAdmin bool
	consumers  string // besides deployment/app
	wantState  string
	wantTasks  map[string]string
}

var kubeCases = []kubeCase{
	{"single", "single", false, "", "SUCCESS", map[string]string{"deploy": "SUCCESS", "validate": "SUCCESS", "consumers_pending": "SUCCESS",
		"promote": "SUCCESS", "consumers_current": "SUCCESS", "revoke": "SUCCESS", "verify_old_refused": "SUCCESS"}},
	{"alternate", "alternate", false, "", "SUCCESS", map[string]string{"deploy": "SUCCESS", "validate": "SUCCESS", "consumers_pending": "SUCCESS",
		"promote": "SUCCESS", "consumers_current": "SUCCESS", "revoke": "SUCCESS"}},
	// deploy is refused (exit 4): the errors branch's kubernetes-deploy
	// --stage current finds CURRENT in the Secret and restarts nothing
	{"wrong admin, errors branch", "single", true, "", "FAILED", map[string]string{"deploy": "FAILED", "rollback": "SUCCESS"}},
	// the Role does not cover deployment/other: consumers_pending has
	// written PENDING and restarted app when the API server refuses it;
	// the errors branch puts CURRENT back and restarts app, then is
	// refused too (the rollback task fails), and still undoes the role
	// and discards PENDING
	{"alternate, a consumer outside the Role, errors branch", "alternate", false, ",deployment/other", "FAILED",
		map[string]string{"deploy": "SUCCESS", "validate": "SUCCESS", "consumers_pending": "FAILED", "rollback": "FAILED"}},
}

// TestPostgresKube runs postgres-password-vault in Kestra's engine with a
// Kubernetes Secret and the Deployment reading it as consumers, the tasks
// running as a service account bound to exactly the documented Role, and
// judges each execution from PostgreSQL, Vault and the API server.
func TestPostgresKube(t *testing.T) {
	k := kestra(t)
	cs, err := env.Kube.Client()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range kubeCases {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, k, cs) })
	}
}

func (tt kubeCase) run(t *testing.T, k *engine, cs *kubernetes.Clientset) {
	ctx := context.Background()
	f := newPGFixture(t, tt.wrongAdmin)
	_, before := f.current(t)
	ns, token := kubeApp(t, cs, f.user, f.initial)
	oldPods := podNames(t, cs, ns)
	x := k.run(t, "flows/postgres-password-vault.yaml", nil, map[string]string{
		"secret": f.secretRef, "admin_secret": f.adminRef, "strategy": tt.strategy, "grace": "5s",
		"kube_secret_name": ns + "/" + kubeSecret, "kube_consumers": "deployment/" + kubeDeployment + tt.consumers})
	x.check(t, "postgres-password-vault + kubernetes ("+tt.name+")", tt.wantState, tt.wantTasks)
	cur, after := f.current(t)
	user := f.currentUser(t)
	sec, err := cs.CoreV1().Secrets(ns).Get(ctx, kubeSecret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, kubeDeployment, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, restarted := d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"]
	pods := podNames(t, cs, ns)
	if tt.wantState == "FAILED" {
		// CURRENT everywhere; the Deployment restarted only when the
		// Secret had been written (then put back by this rotation)
		written := tt.consumers != ""
		holds := string(sec.Data["username"]) == f.user && string(sec.Data["password"]) == f.initial
		if after != before || !holds || restarted != written || !f.logsIn(f.initial) {
			t.Errorf("got version %d (was %d), Secret holds the initial credential %v, restarted %v (want %v): want Vault, PostgreSQL and the Secret on CURRENT",
				after, before, holds, restarted, written)
		}
		if written && sec.Annotations["rotation.kestra.io/rotation"] != x.ID {
			t.Errorf("rotation annotation: got %q, want %s (the errors branch wrote CURRENT back)", sec.Annotations["rotation.kestra.io/rotation"], x.ID)
		}
		if !x.logged("rollback", "secret "+ns+"/"+kubeSecret) {
			t.Errorf("the rollback task ran no kubernetes-deploy\n%s", x)
		}
	} else {
		if after != before+1 || !f.logsInAs(user, cur) || (tt.strategy == "single" && f.logsIn(f.initial)) {
			t.Errorf("got version %d (was %d), new logs in %v, old logs in %v; want a new CURRENT that logs in (and the old refused for single)",
				after, before, f.logsInAs(user, cur), f.logsIn(f.initial))
		}
		for _, c := range []struct{ what, got, want string }{
			{"Secret username", string(sec.Data["username"]), user},
			{"Secret password is CURRENT", strconv.FormatBool(string(sec.Data["password"]) == cur), "true"},
			{"rotation annotation", sec.Annotations["rotation.kestra.io/rotation"], x.ID},
			{"version annotation set", strconv.FormatBool(sec.Annotations["rotation.kestra.io/version"] != ""), "true"},
			{"restartedAt set", strconv.FormatBool(restarted), "true"},
			{"rollout complete", strconv.FormatBool(d.Status.ObservedGeneration >= d.Generation && d.Status.UpdatedReplicas == 2 &&
				d.Status.AvailableReplicas == 2 && d.Status.Replicas == 2), "true"},
			{"pods", strconv.Itoa(len(pods)), "2"},
			{"pods kept from before", strconv.Itoa(len(overlap(oldPods, pods))), "0"},
		} {
			if c.got != c.want {
				t.Errorf("%s: got %s, want %s", c.what, c.got, c.want)
			}
		}
		if deployer := map[bool]string{true: "consumers_current", false: "consumers_pending"}[tt.strategy == "single"]; !x.logged(deployer, "rollout complete") {
			t.Errorf("task %s logged no completed rollout\n%s", deployer, x)
		}
		if tt.strategy == "single" && sec.Annotations["rotation.kestra.io/version"] != strconv.Itoa(after) {
			t.Errorf("version annotation: got %q, want the CURRENT version %d", sec.Annotations["rotation.kestra.io/version"], after)
		}
	}
	scan(t, x, append(f.seen, cur, token, env.Kube.AdminToken))
}

// currentUser returns the username Vault serves as CURRENT.
func (f *pgFixture) currentUser(t *testing.T) string {
	t.Helper()
	s, err := f.vc.KVv2("secret").Get(context.Background(), f.path)
	if err != nil {
		t.Fatalf("read secret/%s: %v", f.path, err)
	}
	u, _ := s.Data["username"].(string)
	return u
}

// logsInAs is logsIn for another user (alternate's clone).
func (f *pgFixture) logsInAs(user, password string) bool {
	g := *f
	g.user = user
	return g.logsIn(password)
}

// kubeApp makes a namespace with the Secret app-db holding the role's
// credential, the Deployment app (two replicas) reading it, rolled out, and
// the documented Role bound to the service account rotation-pack, whose
// kubeconfig it writes where the engine's KUBECONFIG setting points. It
// returns the namespace and the account's token.
func kubeApp(t *testing.T, cs *kubernetes.Clientset, user, password string) (ns, token string) {
	t.Helper()
	ctx := context.Background()
	ns = "kengine-" + strings.ToLower(conformance.RandomID(""))
	if len(ns) > 40 {
		ns = strings.TrimRight(ns[:40], "-")
	}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	data := map[string][]byte{"username": []byte(user), "password": []byte(password)}
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: kubeSecret}, Data: data}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	two, zero := int32(2), int64(0)
	labels := map[string]string{"app": kubeDeployment}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: kubeDeployment, Labels: labels},
		Spec: appsv1.DeploymentSpec{Replicas: &two, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{TerminationGracePeriodSeconds: &zero,
					Containers: []corev1.Container{{Name: "app", Image: "registry.invalid/app:1",
						EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: kubeSecret}}}}}}}}}}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	role, binding := testsrv.KubeDocRBAC(t, env.Root, ns)
	if binding.Subjects[0].Name != kubeAccount {
		t.Fatalf("doc RoleBinding: got subject %q, want %s", binding.Subjects[0].Name, kubeAccount)
	}
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	path, token, err := env.Kube.ServiceAccountKubeconfig(ctx, t.TempDir(), ns, kubeAccount)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kubeconfig, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// The application is running before its password rotates.
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		got, err := cs.AppsV1().Deployments(ns).Get(ctx, kubeDeployment, metav1.GetOptions{})
		if err == nil && got.Status.AvailableReplicas == two && got.Status.UpdatedReplicas == two && len(podNames(t, cs, ns)) == 2 {
			return ns, token
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("deployment %s/%s not rolled out after a minute (err %v)", ns, kubeDeployment, err)
		}
	}
}

// podNames are the Deployment's pods not being deleted.
func podNames(t *testing.T, cs *kubernetes.Clientset, ns string) []string {
	t.Helper()
	pods, err := cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=" + kubeDeployment})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil {
			names = append(names, p.Name)
		}
	}
	return names
}

func overlap(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
			}
		}
	}
	return out
}
