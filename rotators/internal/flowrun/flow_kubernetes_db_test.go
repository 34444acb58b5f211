package flowrun_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
)

// TestRotateSecretKubeConsumers runs rotate-secret (Vault, PostgreSQL) with
// its optional consumers step: after a rotation the Kubernetes Secret holds
// the new CURRENT and the Deployment was restarted, by consumers_current for
// single and by consumers_pending for alternate. In the failing case the
// Deployment is gone while consumers_pending runs (the Secret already got
// PENDING) and back when the errors branch runs: the rollback puts CURRENT
// back in the Secret, rolls the Deployment and leaves Vault and PostgreSQL
// on CURRENT. With single the consumers step runs after promote, so the
// same failure there is completed, not reverted: the errors branch delivers
// the new CURRENT, which PostgreSQL already holds alone.
func TestRotateSecretKubeConsumers(t *testing.T) {
	needServers(t)
	cs, err := env.Kube.Client()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, strategy string
		consumerGone   bool
		wantState      flowrun.State
		wantRan        string // the consumers task that deploys
	}{
		{"single", "single", false, flowrun.Success, "consumers_current"},
		{"alternate", "alternate", false, flowrun.Success, "consumers_pending"},
		{"alternate, consumer gone, errors branch", "alternate", true, flowrun.Failed, "consumers_pending"},
		{"single, consumer gone, errors branch", "single", true, flowrun.Failed, "consumers_current"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t)
			_, before := f.current(t)
			ns := "flow-" + conformance.RandomID("")
			dep := kubeDBApp(t, ns, f.initial.Text("username"), f.initial.Text("password"))
			gone := false
			hook := func(task string) {
				if !tt.consumerGone {
					return
				}
				switch task {
				case "consumers_pending":
					if err := cs.AppsV1().Deployments(ns).Delete(ctx, dep.Name, metav1.DeleteOptions{}); err != nil {
						t.Fatal(err)
					}
					gone = true
				case "rollback":
					fresh := dep.DeepCopy()
					fresh.ResourceVersion = ""
					if _, err := cs.AppsV1().Deployments(ns).Create(ctx, fresh, metav1.CreateOptions{}); err != nil {
						t.Fatal(err)
					}
				}
			}
			r := &flowrun.Runner{Secrets: map[string]string{"VAULT_TOKEN": f.token}, BeforeTask: hook,
				Envs: map[string]string{"VAULT_ADDR": env.Bao.Addr, "KUBECONFIG": env.Kube.Kubeconfig}}
			inputs := flowInputs(f.secretRef, f.adminRef, tt.strategy, false)
			for k, v := range map[string]string{"store": "vault", "target": "postgres", "grace": "5s",
				"kube_secret_name": ns + "/orders-db", "kube_consumers": "deployment/orders-api"} {
				inputs[k] = v
			}
			e := runFlow(t, "rotate-secret.yaml", r, inputs)
			if e.State != tt.wantState || gone != tt.consumerGone {
				t.Fatalf("execution %s (deployment deleted %v), want %s\n%s", e.State, gone, tt.wantState, execLog(e))
			}
			sec, err := cs.CoreV1().Secrets(ns).Get(ctx, "orders-db", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			d, err := cs.AppsV1().Deployments(ns).Get(ctx, dep.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			_, restarted := d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"]
			cur, after := f.current(t)
			if tt.consumerGone {
				if tr := e.TaskRun(tt.wantRan); tr == nil || tr.ExitCode == 0 {
					t.Errorf("task %s: got %+v, want a failure", tt.wantRan, tr)
				}
				wantTask(t, e, "rollback", 0)
				if tt.strategy == "single" {
					f.wantRotated(t, before, login, true)
				} else {
					f.wantRolledBack(t, before, login)
				}
			} else {
				wantTask(t, e, tt.wantRan, 0)
				wantTask(t, e, "revoke", 0)
				f.wantRotated(t, before, login, tt.strategy == "single")
			}
			holds := string(sec.Data["username"]) == cur.Text("username") && string(sec.Data["password"]) == cur.Text("password")
			if !holds || !restarted || sec.Annotations["rotation.kestra.io/rotation"] != e.ID {
				t.Errorf("version %d -> %d: Secret holds CURRENT %v, annotated rotation %q (want %s), deployment restarted %v: want all",
					before, after, holds, sec.Annotations["rotation.kestra.io/rotation"], e.ID, restarted)
			}
			f.checkLeaks(t, e)
		})
	}
}

// TestRotateSecretKubeConsumersDryRun: with the consumers configured, a dry
// run of rotate-secret leaves the Secret and the Deployment untouched and
// both consumers tasks say they skipped.
func TestRotateSecretKubeConsumersDryRun(t *testing.T) {
	needServers(t)
	cs, err := env.Kube.Client()
	if err != nil {
		t.Fatal(err)
	}
	for _, strategy := range []string{"single", "alternate"} {
		t.Run(strategy, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t)
			ns := "flow-" + conformance.RandomID("")
			kubeDBApp(t, ns, f.initial.Text("username"), f.initial.Text("password"))
			r := &flowrun.Runner{Secrets: map[string]string{"VAULT_TOKEN": f.token},
				Envs: map[string]string{"VAULT_ADDR": env.Bao.Addr, "KUBECONFIG": env.Kube.Kubeconfig}}
			inputs := flowInputs(f.secretRef, f.adminRef, strategy, true)
			for k, v := range map[string]string{"store": "vault", "target": "postgres",
				"kube_secret_name": ns + "/orders-db", "kube_consumers": "deployment/orders-api"} {
				inputs[k] = v
			}
			e := runFlow(t, "rotate-secret.yaml", r, inputs)
			if e.State != flowrun.Success {
				t.Fatalf("execution %s, want SUCCESS\n%s", e.State, execLog(e))
			}
			sec, err := cs.CoreV1().Secrets(ns).Get(ctx, "orders-db", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			d, err := cs.AppsV1().Deployments(ns).Get(ctx, "orders-api", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			_, restarted := d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"]
			if string(sec.Data["password"]) != f.initial.Text("password") || len(sec.Annotations) != 0 || restarted {
				t.Errorf("dry run: Secret changed %v, annotations %v, restarted %v: want nothing changed",
					string(sec.Data["password"]) != f.initial.Text("password"), sec.Annotations, restarted)
			}
			for _, id := range []string{"consumers_pending", "consumers_current"} {
				tr := e.TaskRun(id)
				if tr == nil || tr.ExitCode != 0 || len(tr.Logs) == 0 || !strings.Contains(tr.Logs[len(tr.Logs)-1].Message, "skipped") {
					t.Errorf("task %s: want exit 0 and a \"skipped\" line, got %+v", id, tr)
				}
			}
			f.checkLeaks(t, e)
		})
	}
}

// kubeDBApp creates namespace ns with the Secret orders-db holding user and
// pw and the Deployment orders-api that reads it, rolled out, and returns
// the Deployment as created.
func kubeDBApp(t *testing.T, ns, user, pw string) *appsv1.Deployment {
	t.Helper()
	cs, err := env.Kube.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	two, zero := int32(2), int64(0)
	labels := map[string]string{"app": "orders-api"}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "orders-db"}, Data: map[string][]byte{"username": []byte(user), "password": []byte(pw)}}
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "orders-api", Namespace: ns}, Spec: appsv1.DeploymentSpec{Replicas: &two,
		Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{TerminationGracePeriodSeconds: &zero, Containers: []corev1.Container{{Name: "api", Image: "registry.invalid/orders-api:1"}}}}}}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		got, err := cs.AppsV1().Deployments(ns).Get(ctx, d.Name, metav1.GetOptions{})
		if err == nil && got.Status.AvailableReplicas == two && got.Status.UpdatedReplicas == two {
			return d
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("deployment %s/%s not rolled out after a minute (err %v)", ns, d.Name, err)
		}
	}
}

// TestRotateSecretKubeStaleRotation: a dead rotation left PENDING in Vault,
// PostgreSQL (alternate's clone) and the Kubernetes Secret; rotate-secret
// with stale_rotation naming it puts CURRENT back in the Secret first (stage
// logs kubernetes-deploy --stage current for that rotation), then rotates.
func TestRotateSecretKubeStaleRotation(t *testing.T) {
	needServers(t)
	cs, err := env.Kube.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f := newFixture(t)
	_, before := f.current(t)
	ns := "flow-" + conformance.RandomID("")
	kubeDBApp(t, ns, f.initial.Text("username"), f.initial.Text("password"))
	stale := conformance.RandomID("dead-")
	for _, args := range [][]string{
		{"vault-stage", "--rotation", stale, "--strategy", "alternate"},
		{"postgres-deploy", "--rotation", stale, "--stage", "pending"},
		{"kubernetes-deploy", "--rotation", stale, "--stage", "pending"},
	} {
		cmd := exec.Command(filepath.Join(env.BinDir, args[0]), args[1:]...)
		cmd.Env = []string{"VAULT_ADDR=" + env.Bao.Addr, "VAULT_TOKEN=" + f.token, "ROTATE_SECRET=" + f.secretRef,
			"ROTATE_ADMIN_SECRET=" + f.adminRef, "KUBECONFIG=" + env.Kube.Kubeconfig, "KUBE_SECRET=" + ns + "/orders-db",
			"KUBE_CONSUMERS=deployment/orders-api", "HOME=" + t.TempDir()}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", args[0], err, out)
		}
	}
	stuck, ok := f.pending(t)
	if sec, err := cs.CoreV1().Secrets(ns).Get(ctx, "orders-db", metav1.GetOptions{}); !ok || err != nil || string(sec.Data["password"]) != stuck.Text("password") {
		t.Fatalf("set-up: PENDING stored %v, in the Secret %v (%v)", ok, err == nil && string(sec.Data["password"]) == stuck.Text("password"), err)
	}
	r := &flowrun.Runner{Secrets: map[string]string{"VAULT_TOKEN": f.token},
		Envs: map[string]string{"VAULT_ADDR": env.Bao.Addr, "KUBECONFIG": env.Kube.Kubeconfig}}
	inputs := flowInputs(f.secretRef, f.adminRef, "alternate", false)
	for k, v := range map[string]string{"store": "vault", "target": "postgres", "grace": "5s", "stale_rotation": stale,
		"kube_secret_name": ns + "/orders-db", "kube_consumers": "deployment/orders-api"} {
		inputs[k] = v
	}
	e := runFlow(t, "rotate-secret.yaml", r, inputs)
	if e.State != flowrun.Success {
		t.Fatalf("execution %s, want SUCCESS\n%s", e.State, execLog(e))
	}
	undone := false
	for _, l := range e.TaskRun("stage").Logs {
		undone = undone || (strings.Contains(l.Message, "step=kubernetes-deploy") && strings.Contains(l.Message, "rotation="+stale) &&
			strings.Contains(l.Message, "stage=current"))
	}
	if !undone {
		t.Errorf("stage did not put CURRENT back in the Secret for %s\n%s", stale, execLog(e))
	}
	cur := f.wantRotated(t, before, login, false)
	sec, err := cs.CoreV1().Secrets(ns).Get(ctx, "orders-db", metav1.GetOptions{})
	if err != nil || string(sec.Data["password"]) != cur.Text("password") {
		t.Errorf("the Secret does not hold the new CURRENT (%v)", err)
	}
	f.checkLeaks(t, e)
}
