package kubernetes_test

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// store is the OpenBao store harness, made once per test.
func (c *cluster) store(t *testing.T) conformance.StoreHarness {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stores == nil {
		c.stores = map[string]conformance.StoreHarness{}
	}
	h, ok := c.stores[t.Name()]
	if !ok {
		h = vaulttest.Harness(t, env.Bao.Addr, env.Bao.Token, env.BinDir)
		c.stores[t.Name()] = h
	}
	return h
}

// staged makes a namespace with the app's Secret and Deployment (as the
// admin), a secret in OpenBao with a PENDING value staged by rotation id,
// and a runner with the store's environment and the admin's kubeconfig.
func staged(t *testing.T, c *cluster, extraEnv ...string) (ns string, r *conformance.Runner, ref core.Ref, id string) {
	t.Helper()
	store := c.store(t)
	v, err := core.ParseValue([]byte(`{"username":"app","password":"` + conformance.RandomID("initial-") + `","host":"db","port":5432,"dbname":"app"}`))
	if err != nil {
		t.Fatal(err)
	}
	ns, _, _ = c.newNamespace(t, v)
	r = store.NewRunner(t, append([]string{"KUBECONFIG=" + env.Kube.Kubeconfig, "KUBE_SECRET=" + ns + "/" + secretName,
		"KUBE_SECRET_KEYS=" + keysJSON}, extraEnv...)...)
	r.Secret(v.Text("password"), env.Kube.AdminToken)
	ref = store.NewSecret(t, v)
	id = conformance.RandomID("rot-")
	r.Must(t, 0, "vault-stage", "--secret", ref.String(), "--rotation", id)
	return ns, r, ref, id
}

// TestRolloutOutcomes runs deploy against consumers whose rollout cannot
// complete (exit 4 at once: an OnDelete StatefulSet, a Deployment past its
// progress deadline), does not complete in time (exit 3, and a
// re-run completes once it can), or are found by a label selector.
func TestRolloutOutcomes(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs a Kubernetes control plane and OpenBao")
	}
	c := newCluster(t)
	ctx := context.Background()

	// Rollouts that cannot complete by themselves: deploy exits 4 at once,
	// naming the workload and why, and validate refuses too, saying why.
	rejected := []struct {
		name, consumer string
		setup          func(t *testing.T, ns string)
		want           []string // in deploy's stderr
	}{
		{"on_delete_statefulset", "statefulset/db", func(t *testing.T, ns string) {
			sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Spec: appsv1.StatefulSetSpec{
				Selector: deployment().Spec.Selector, Template: deployment().Spec.Template,
				UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}}}
			sts.Spec.Template.Labels = map[string]string{"app": "db"}
			sts.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}
			if _, err := c.cs.AppsV1().StatefulSets(ns).Create(ctx, sts, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}, []string{"statefulset/db", "OnDelete"}},
		// The real deployment controller sets Progressing=False, reason
		// ProgressDeadlineExceeded, once the new pods (which no node may
		// run) have not progressed for 2 s; the template change starts a
		// first stuck rollout before deploy restarts it again.
		{"progress_deadline_exceeded", "deployment/" + deployName, func(t *testing.T, ns string) {
			patchDeployment(t, c, ns, `{"spec":{"progressDeadlineSeconds":2,"template":{"spec":{"nodeSelector":{"no-such-node":"true"}}}}}`)
		}, []string{"deployment/" + deployName, "exceeded its progress deadline"}},
	}
	for _, tc := range rejected {
		t.Run(tc.name+"_is_rejected", func(t *testing.T) {
			ns, r, ref, id := staged(t, c, "KUBE_CONSUMERS="+tc.consumer)
			r.Secret(c.store(t).Inspect(t, r, ref).Pending.Value.Text("password")) // scanned for in every output
			tc.setup(t, ns)
			start := time.Now()
			run := r.Must(t, core.ExitRejected, "kubernetes-deploy", "--secret", ref.String(), "--rotation", id, "--timeout", "60s")
			if took := time.Since(start); took > 45*time.Second {
				t.Errorf("deploy took %s, want it to stop once the rollout cannot complete, well before --timeout", took)
			}
			val := r.Must(t, core.ExitRejected, "kubernetes-validate", "--secret", ref.String())
			for _, w := range tc.want {
				if !strings.Contains(run.Stderr, w) {
					t.Errorf("deploy: got stderr %q, want it to contain %q", run.Stderr, w)
				}
				if !strings.Contains(val.Stderr, w) {
					t.Errorf("validate: got stderr %q, want it to contain %q", val.Stderr, w)
				}
			}
		})
	}

	t.Run("timeout_is_retryable", func(t *testing.T) {
		ns, r, ref, id := staged(t, c, "KUBE_CONSUMERS=deployment/"+deployName)
		// its new pods stay Pending; a patch, since the controller updates
		// the Deployment's status meanwhile (an Update could conflict)
		patchDeployment(t, c, ns, `{"spec":{"template":{"spec":{"nodeSelector":{"no-such-node":"true"}}}}}`)
		run := r.Must(t, core.ExitUnavailable, "kubernetes-deploy", "--secret", ref.String(), "--rotation", id, "--timeout", "3s")
		if !strings.Contains(run.Stdout, "rollout consumer=deployment/app") {
			t.Errorf("got stdout %q, want rollout progress lines", run.Stdout)
		}
		r.Must(t, core.ExitRejected, "kubernetes-validate", "--secret", ref.String())
		patchDeployment(t, c, ns, `{"spec":{"template":{"spec":{"nodeSelector":null}}}}`)
		if again := r.Must(t, 0, "kubernetes-deploy", "--secret", ref.String(), "--rotation", id); again.Changed() {
			t.Errorf("re-run after a timeout: got changed true, want false (the Secret and the restart were done)")
		}
		r.Must(t, 0, "kubernetes-validate", "--secret", ref.String())
	})

	t.Run("selector_finds_consumers", func(t *testing.T) {
		ns, r, ref, id := staged(t, c, "KUBE_CONSUMER_SELECTOR=tier=web")
		for _, name := range []string{"web-a", "web-b"} {
			d := deployment()
			d.Name, d.Labels = name, map[string]string{"tier": "web"}
			d.Spec.Selector.MatchLabels = map[string]string{"app": name}
			d.Spec.Template.Labels = map[string]string{"app": name}
			if _, err := c.cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		r.Must(t, 0, "kubernetes-deploy", "--secret", ref.String(), "--rotation", id)
		r.Must(t, 0, "kubernetes-validate", "--secret", ref.String())
		for _, name := range []string{"web-a", "web-b", deployName} {
			d, err := c.cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			_, restarted := d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"]
			if want := name != deployName; restarted != want {
				t.Errorf("deployment %s: got restarted %v, want %v (only the selector's)", name, restarted, want)
			}
		}
		sec, err := c.cs.CoreV1().Secrets(ns).Get(ctx, secretName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pend := c.store(t).Inspect(t, r, ref).Pending
		want := map[string]string{"rotation.kestra.io/version": pend.ID, "rotation.kestra.io/rotation": id}
		for k, w := range want {
			if got := sec.Annotations[k]; got != w {
				t.Errorf("annotation %s: got %q, want %q", k, got, w)
			}
		}
		for k, a := range sec.Annotations {
			if strings.Contains(a, pend.Value.Text("password")) {
				t.Errorf("annotation %s holds the password", k)
			}
		}
	})

	t.Run("missing_secret_is_usage", func(t *testing.T) {
		_, r, ref, id := staged(t, c, "KUBE_CONSUMERS=deployment/"+deployName)
		r.Env = append(r.Env, "KUBE_SECRET=no-such-secret") // the last one wins
		run := r.Must(t, core.ExitUsage, "kubernetes-deploy", "--secret", ref.String(), "--rotation", id)
		if !strings.Contains(run.Stderr, "does not exist") {
			t.Errorf("got stderr %q, want it to say the Secret does not exist", run.Stderr)
		}
	})
}

// patchDeployment applies a JSON merge patch to the test's Deployment.
func patchDeployment(t *testing.T, c *cluster, ns, patch string) {
	t.Helper()
	_, err := c.cs.AppsV1().Deployments(ns).Patch(context.Background(), deployName, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("patch deployment: %v", err)
	}
}
