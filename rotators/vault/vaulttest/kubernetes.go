package vaulttest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

// The service account and namespace docs/stores/vault.md binds; the tests
// keep the account's name and replace the namespace by a fresh one.
const (
	docNamespace = "kestra"
	k8sAccount   = "kestra-rotation"
)

// KubernetesOn returns a Login maker for OpenBao's kubernetes auth checking
// tokens with the real API server of kube (root is the module root, where
// docs/stores/vault.md is read). Each Login gets a fresh namespace holding
// the service account kestra-rotation, bound to system:auth-delegator by the
// ClusterRoleBinding of the docs; the auth mount is configured as the docs
// say (no token_reviewer_jwt: the client's own token authenticates the
// TokenReview), and the binaries get a token of that account minted by the
// TokenRequest API, as the kubelet projects one into a pod.
//
// Sign(t, "name", ttl) mints a real token of another account of the same
// namespace, Sign(t, "namespace:name", ttl) of an account elsewhere (each
// created and bound to system:auth-delegator); Sign(t, "", 0)
// forges one with the same claims as the binaries' token, signed by a key
// the cluster does not have.
func KubernetesOn(kube *testsrv.Kube, root string) func(testing.TB, *api.Client, string) Login {
	return func(t testing.TB, c *api.Client, prefix string) Login {
		cs, err := kube.Client()
		if err != nil {
			t.Fatal(err)
		}
		ca, err := os.ReadFile(kube.CAFile)
		if err != nil {
			t.Fatal(err)
		}
		ns := "vt-" + conformance.RandomID("")
		sa, token := serviceAccountToken(t, cs, root, ns, k8sAccount, time.Hour)
		l := Login{Method: "kubernetes", Mount: "kubernetes-" + conformance.RandomID(""), Policy: Policy(t, c, prefix)}
		enableAuth(t, c, l.Mount, "kubernetes")
		write(t, c, "auth/"+l.Mount+"/config", map[string]any{"kubernetes_host": kube.Server, "kubernetes_ca_cert": string(ca),
			"disable_local_ca_jwt": true})
		write(t, c, "auth/"+l.Mount+"/role/rotation", map[string]any{"bound_service_account_names": k8sAccount,
			"bound_service_account_namespaces": ns, "token_policies": l.Policy,
			"token_no_default_policy": true, "token_ttl": "10m", "token_max_ttl": "30m"})
		file := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(file, []byte(token), 0o600); err != nil {
			t.Fatal(err)
		}
		l.Env = []string{"VAULT_AUTH_METHOD=kubernetes", "VAULT_AUTH_MOUNT=" + l.Mount, "VAULT_AUTH_ROLE=rotation", "VAULT_AUTH_JWT_FILE=" + file}
		l.Secrets = []string{token}
		l.Sign = func(t testing.TB, account string, ttl time.Duration) string {
			if account == "" {
				return forgeSAToken(t, ns, sa)
			}
			other, name, ok := strings.Cut(account, ":")
			if !ok {
				other, name = ns, account
			}
			_, tok := serviceAccountToken(t, cs, root, other, name, ttl)
			return tok
		}
		return l
	}
}

// serviceAccountToken makes namespace ns (if missing) and the service
// account name in it, binds it to system:auth-delegator with the docs'
// ClusterRoleBinding, removed when the test ends with the namespace, and
// returns the account's uid and a token from the TokenRequest API.
func serviceAccountToken(t testing.TB, cs *kubernetes.Clientset, root, ns, name string, ttl time.Duration) (string, string) {
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err == nil {
		t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	} else if !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create namespace %s: %v", ns, err)
	}
	sa, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create service account %s/%s: %v", ns, name, err)
	}
	crb := docTokenReviewBinding(t, root)
	crb.Name += "-" + ns + "-" + name
	crb.Subjects[0].Namespace, crb.Subjects[0].Name = ns, name
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
		t.Fatalf("bind %s/%s to %s: %v", ns, name, crb.RoleRef.Name, err)
	}
	t.Cleanup(func() {
		_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), crb.Name, metav1.DeleteOptions{})
	})
	secs := int64(ttl / time.Second)
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name,
		&authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &secs}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token request for %s/%s: %v", ns, name, err)
	}
	return string(sa.UID), tr.Status.Token
}

// docTokenReviewBinding is the ClusterRoleBinding of docs/stores/vault.md,
// the YAML block of its section "Kubernetes: the cluster side".
func docTokenReviewBinding(t testing.TB, root string) *rbacv1.ClusterRoleBinding {
	t.Helper()
	block := testsrv.DocYAML(t, root, filepath.Join("docs", "stores", "vault.md"), "#### Kubernetes: the cluster side")
	crb := &rbacv1.ClusterRoleBinding{}
	if err := yaml.NewYAMLOrJSONDecoder(strings.NewReader(block), 4096).Decode(crb); err != nil {
		t.Fatalf("doc ClusterRoleBinding: %v", err)
	}
	if crb.Kind != "ClusterRoleBinding" || crb.RoleRef.Name != "system:auth-delegator" || len(crb.Subjects) != 1 ||
		crb.Subjects[0].Name != k8sAccount || crb.Subjects[0].Namespace != docNamespace {
		t.Fatalf("doc ClusterRoleBinding: got %+v; want %s/%s bound to system:auth-delegator", crb, docNamespace, k8sAccount)
	}
	return crb
}

// forgeSAToken makes a token with a projected service-account token's
// claims for kestra-rotation in ns (uid included), signed by a fresh key.
func forgeSAToken(t testing.TB, ns, uid string) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	return signES256(t, key, "sa-key", map[string]any{"iss": "https://kubernetes.default.svc", "aud": []string{"https://kubernetes.default.svc"},
		"sub": "system:serviceaccount:" + ns + ":" + k8sAccount,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"kubernetes.io": map[string]any{"namespace": ns, "serviceaccount": map[string]string{"name": k8sAccount, "uid": uid}}})
}
