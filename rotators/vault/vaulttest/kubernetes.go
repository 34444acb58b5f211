package vaulttest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// Service account the Kubernetes login tests pretend the pod runs as.
const (
	k8sNamespace = "kestra"
	k8sAccount   = "kestra-rotation"
)

// Kubernetes enables OpenBao's kubernetes auth at a fresh mount, pointed at
// a TokenReview endpoint served on loopback: a test double of the one API
// call the auth backend makes to a cluster (POST
// /apis/authentication.k8s.io/v1/tokenreviews), which accepts exactly the
// service-account token written here and answers as the API server does.
// The login itself, the role's bindings and the token's policy are
// OpenBao's real kubernetes backend. Until the tests have a real control
// plane, this is what shows the binaries' side of the method.
func Kubernetes(t testing.TB, c *api.Client, prefix string) Login {
	uid := conformance.RandomID("uid-")
	sa := signSAToken(t, uid)
	host, caPEM := serveTokenReview(t, sa, uid)
	l := Login{Method: "kubernetes", Mount: "kubernetes-" + conformance.RandomID(""), Policy: Policy(t, c, prefix)}
	enableAuth(t, c, l.Mount, "kubernetes")
	write(t, c, "auth/"+l.Mount+"/config", map[string]any{"kubernetes_host": host, "kubernetes_ca_cert": caPEM,
		"token_reviewer_jwt": sa, "disable_local_ca_jwt": true})
	write(t, c, "auth/"+l.Mount+"/role/rotation", map[string]any{"bound_service_account_names": k8sAccount,
		"bound_service_account_namespaces": k8sNamespace, "token_policies": l.Policy,
		"token_no_default_policy": true, "token_ttl": "10m", "token_max_ttl": "30m"})
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(sa), 0o600); err != nil {
		t.Fatal(err)
	}
	l.Env = []string{"VAULT_AUTH_METHOD=kubernetes", "VAULT_AUTH_MOUNT=" + l.Mount, "VAULT_AUTH_ROLE=rotation", "VAULT_AUTH_JWT_FILE=" + file}
	l.Secrets = []string{sa}
	// Another token of the same claims, which the cluster did not issue.
	l.Sign = func(t testing.TB, _ string, _ time.Duration) string { return signSAToken(t, uid) }
	return l
}

// signSAToken makes a projected service-account token's shape: the claims
// the auth backend reads before it asks the TokenReview API.
func signSAToken(t testing.TB, uid string) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	return signES256(t, key, "sa-key", map[string]any{"iss": "https://kubernetes.default.svc", "aud": []string{"https://kubernetes.default.svc"},
		"sub": "system:serviceaccount:" + k8sNamespace + ":" + k8sAccount,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"kubernetes.io": map[string]any{"namespace": k8sNamespace, "serviceaccount": map[string]string{"name": k8sAccount, "uid": uid}}})
}

// serveTokenReview answers TokenReviews over TLS, as an API server does:
// authenticated for token, refused for anything else. It returns the base
// URL and the PEM of the certificate to trust.
func serveTokenReview(t testing.TB, token, uid string) (string, string) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost || req.URL.Path != "/apis/authentication.k8s.io/v1/tokenreviews" {
			http.NotFound(w, req)
			return
		}
		var review struct {
			Spec struct {
				Token     string   `json:"token"`
				Audiences []string `json:"audiences"`
			} `json:"spec"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, req.Body, 1<<20)).Decode(&review); err != nil {
			http.Error(w, "bad review", http.StatusBadRequest)
			return
		}
		status := map[string]any{"authenticated": false, "error": "invalid bearer token"}
		if review.Spec.Token == token {
			status = map[string]any{"authenticated": true, "audiences": review.Spec.Audiences,
				"user": map[string]any{"username": "system:serviceaccount:" + k8sNamespace + ":" + k8sAccount, "uid": uid,
					"groups": []string{"system:serviceaccounts", "system:serviceaccounts:" + k8sNamespace}}}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
			"status": status})
	}))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return srv.URL, string(ca)
}
