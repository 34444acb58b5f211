package flowrun_test

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// TestKubernetesFlow runs api-key-vault-kubernetes: the API key is rotated
// in Vault, the Secret the pods read holds the new one, the Deployment was
// restarted and rolled out, and no value reached a log, output or script.
// A dry run changes neither Vault nor the Secret.
func TestKubernetesFlow(t *testing.T) {
	needServers(t)
	cs, err := env.Kube.Client()
	if err != nil {
		t.Fatal(err)
	}
	for _, dryRun := range []bool{false, true} {
		t.Run(map[bool]string{false: "rotate", true: "dry_run"}[dryRun], func(t *testing.T) {
			ctx := context.Background()
			f := &fixture{vc: vaulttest.Client(t, env.Bao.Addr, env.Bao.Token), seen: seenValues{}}
			prefix := "flowrun-" + conformance.RandomID("") + "/"
			f.token = vaulttest.PolicyToken(t, f.vc, prefix)
			key := conformance.RandomID("initial-key-")
			f.initial, f.path = core.Value{}.With("password", key), prefix+"shop/api-key"
			f.secretRef = vaulttest.Put(t, f.vc, f.path, f.initial).String()
			f.seen.see(key, env.Bao.Token, f.token, env.Kube.AdminToken)
			ns := "flow-" + conformance.RandomID("")
			kubeShop(t, ns, key)
			_, before := f.current(t)

			r := &flowrun.Runner{Secrets: map[string]string{"VAULT_TOKEN": f.token},
				Envs: map[string]string{"VAULT_ADDR": env.Bao.Addr, "KUBECONFIG": env.Kube.Kubeconfig}}
			e := runFlow(t, "api-key-vault-kubernetes.yaml", r, map[string]string{"secret": f.secretRef,
				"kube_secret_name": ns + "/api-key", "consumers": "deployment/shop-api", "dry_run": map[bool]string{false: "false", true: "true"}[dryRun]})
			if e.State != flowrun.Success {
				t.Fatalf("execution %s, want SUCCESS\n%s", e.State, execLog(e))
			}
			cur, after := f.current(t)
			sec, err := cs.CoreV1().Secrets(ns).Get(ctx, "api-key", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			d, err := cs.AppsV1().Deployments(ns).Get(ctx, "shop-api", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			_, restarted := d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"]
			if dryRun {
				if after != before || string(sec.Data["API_KEY"]) != key || restarted {
					t.Errorf("dry run: version %d -> %d, Secret changed %v, restarted %v: want nothing changed",
						before, after, string(sec.Data["API_KEY"]) != key, restarted)
				}
			} else {
				if after == before || string(sec.Data["API_KEY"]) != cur.Text("password") || !restarted {
					t.Errorf("rotation: version %d -> %d, Secret holds CURRENT %v, restarted %v: want a new version in the Secret and a restart",
						before, after, string(sec.Data["API_KEY"]) == cur.Text("password"), restarted)
				}
				for _, id := range []string{"stage", "deploy", "validate", "promote", "revoke"} {
					wantTask(t, e, id, 0)
				}
			}
			f.checkLeaks(t, e)
		})
	}
}

// kubeShop creates namespace ns with the Secret api-key holding key (as
// API_KEY) and the Deployment shop-api that reads it.
func kubeShop(t *testing.T, ns, key string) {
	t.Helper()
	cs, err := env.Kube.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	two, zero := int32(2), int64(0)
	labels := map[string]string{"app": "shop-api"}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "api-key"}, Data: map[string][]byte{"API_KEY": []byte(key)}}
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "shop-api"}, Spec: appsv1.DeploymentSpec{Replicas: &two,
		Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{TerminationGracePeriodSeconds: &zero, Containers: []corev1.Container{{Name: "api", Image: "registry.invalid/shop-api:1"}}}}}}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The application is running before its key rotates.
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		got, err := cs.AppsV1().Deployments(ns).Get(ctx, d.Name, metav1.GetOptions{})
		if err == nil && got.Status.AvailableReplicas == two && got.Status.UpdatedReplicas == two {
			return
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("deployment %s/%s not rolled out after a minute (err %v)", ns, d.Name, err)
		}
	}
}
