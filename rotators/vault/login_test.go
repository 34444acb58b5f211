package vault_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// TestStoreConformanceAppRole: the whole store suite with the binaries
// logging in by AppRole (role id and secret id, no VAULT_TOKEN), the role's
// tokens holding only the documented policy; the leak check covers the
// role id, the secret id and anything shaped like a client token.
func TestStoreConformanceAppRole(t *testing.T) {
	if testing.Short() {
		t.Skip("needs an OpenBao server")
	}
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	conformance.StoreSuite(t, vaulttest.LoginHarness(t, env.Bao.Addr, env.Bao.Token, env.BinDir, vaulttest.AppRole(t, vc, "conformance/")))
}

// TestStoreConformanceJWT: the store suite again, logging in with a JWT
// that OpenBao's jwt auth checks against a JWKS served on loopback.
func TestStoreConformanceJWT(t *testing.T) {
	if testing.Short() {
		t.Skip("needs an OpenBao server")
	}
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	conformance.StoreSuite(t, vaulttest.LoginHarness(t, env.Bao.Addr, env.Bao.Token, env.BinDir, vaulttest.JWT(t, vc, "conformance/")))
}

// TestStoreConformanceKubernetes: the store suite logging in with a pod's
// service-account token through OpenBao's kubernetes backend, which checks
// it with a real API server's TokenReview (vaulttest.KubernetesOn).
func TestStoreConformanceKubernetes(t *testing.T) {
	if testing.Short() {
		t.Skip("needs an OpenBao server")
	}
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	conformance.StoreSuite(t, vaulttest.LoginHarness(t, env.Bao.Addr, env.Bao.Token, env.BinDir, vaulttest.KubernetesOn(env.Kube, env.Root)(t, vc, "conformance/")))
}

// TestInventoryAppRole: vault-inventory logs in by AppRole too.
func TestInventoryAppRole(t *testing.T) {
	if testing.Short() {
		t.Skip("needs an OpenBao server")
	}
	conformance.InventoryTagSuite(t, vaulttest.InventoryLoginHarness(t, env.Bao.Addr, env.Bao.Token, env.BinDir, 0, vaulttest.AppRole))
}

// TestLogin: each way of logging in stages and promotes a rotation; each
// bad credential is refused with exit 2 (retrying cannot help) and a line
// naming the method, never the credential.
func TestLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("needs an OpenBao server")
	}
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	ar, jwt := vaulttest.AppRole(t, vc, "conformance/"), vaulttest.JWT(t, vc, "conformance/")
	k8s := vaulttest.KubernetesOn(env.Kube, env.Root)(t, vc, "conformance/")
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	roleID, secretID := envValue(ar.Env, "VAULT_ROLE_ID"), envValue(ar.Env, "VAULT_SECRET_ID")
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwtKeyless := vaulttest.SignJWT(t, otherKey, "kestra-worker", time.Hour)
	wrapped := vaulttest.WrappedSecretID(t, vc, ar)
	// Real tokens of accounts the role does not name: another account of
	// its namespace, and an account of its name in another namespace.
	saOther, saOtherNS := k8s.Sign(t, "someone-else", time.Hour), k8s.Sign(t, "vt-"+conformance.RandomID("")+":kestra-rotation", time.Hour)
	base := []string{"VAULT_AUTH_METHOD=approle", "VAULT_AUTH_MOUNT=" + ar.Mount}
	tests := []struct {
		name string
		env  []string
		want int
		once bool // a wrapped secret id serves one run: stage only
	}{
		{"approle from env", ar.Env, 0, false},
		{"approle from files", append(base, "VAULT_ROLE_ID_FILE="+file("role", roleID), "VAULT_SECRET_ID_FILE="+file("sid", secretID)), 0, false},
		{"approle settings in VAULT_AUTH", []string{"VAULT_AUTH_METHOD=approle", "VAULT_AUTH=role_id=" + roleID + " mount=" + ar.Mount, "VAULT_SECRET_ID=" + secretID, "VAULT_TOKEN="}, 0, false},
		{"token method without a token", []string{"VAULT_AUTH_METHOD=token", "VAULT_TOKEN="}, core.ExitUsage, false},
		{"approle wrapped secret id", append(base, "VAULT_ROLE_ID="+roleID, "VAULT_SECRET_ID="+wrapped, "VAULT_SECRET_ID_WRAPPED=true"), 0, true},
		{"approle wrapped secret id used twice", append(base, "VAULT_ROLE_ID="+roleID, "VAULT_SECRET_ID="+wrapped, "VAULT_SECRET_ID_WRAPPED=true"), core.ExitUsage, false},
		{"approle wrong secret id", append(base, "VAULT_ROLE_ID="+roleID, "VAULT_SECRET_ID="+conformance.RandomID("wrong-sid-")), core.ExitUsage, false},
		{"jwt", jwt.Env, 0, false},
		{"jwt signed by another key", replace(jwt.Env, "VAULT_AUTH_JWT_FILE", file("other.jwt", jwtKeyless)), core.ExitUsage, false},
		{"jwt expired", replace(jwt.Env, "VAULT_AUTH_JWT_FILE", file("old.jwt", jwt.Sign(t, "kestra-worker", -time.Minute))), core.ExitUsage, false},
		{"jwt other subject", replace(jwt.Env, "VAULT_AUTH_JWT_FILE", file("sub.jwt", jwt.Sign(t, "someone-else", time.Hour))), core.ExitUsage, false},
		{"kubernetes", k8s.Env, 0, false},
		{"kubernetes token the cluster did not issue", replace(k8s.Env, "VAULT_AUTH_JWT_FILE", file("forged.sa", k8s.Sign(t, "", 0))), core.ExitUsage, false},
		{"kubernetes service account not named by the role", replace(k8s.Env, "VAULT_AUTH_JWT_FILE", file("other.sa", saOther)), core.ExitUsage, false},
		{"kubernetes role's account name in another namespace", replace(k8s.Env, "VAULT_AUTH_JWT_FILE", file("otherns.sa", saOtherNS)), core.ExitUsage, false},
		{"kubernetes token file missing", replace(k8s.Env, "VAULT_AUTH_JWT_FILE", filepath.Join(dir, "none")), core.ExitUsage, false},
		{"a token wins over a broken method", append(replace(ar.Env, "VAULT_SECRET_ID", "wrong"), "VAULT_TOKEN="+vaulttest.PolicyToken(t, vc, "conformance/")), 0, false},
		{"no credential at all", nil, core.ExitUsage, false},
	}
	// which check refused, where it matters: the role's bindings, not RBAC
	refusedBecause := map[string]string{"kubernetes service account not named by the role": "service account name not authorized",
		"kubernetes role's account name in another namespace": "namespace not authorized"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := vaulttest.LoginHarness(t, env.Bao.Addr, env.Bao.Token, env.BinDir, vaulttest.Login{Env: tt.env, Secrets: slices.Concat(ar.Secrets, jwt.Secrets, k8s.Secrets)})
			h.Secrets = append(h.Secrets, wrapped, jwtKeyless, saOther, saOtherNS)
			r := h.NewRunner(t)
			ref := h.NewSecret(t, conformance.DBValue(r, "app"))
			id := conformance.RandomID("rot-")
			run := r.Must(t, tt.want, "vault-stage", "--secret", ref.String(), "--rotation", id, "--generate", "length=32")
			if tt.want != 0 {
				if why := refusedBecause[tt.name]; !strings.Contains(run.Stderr, why) {
					t.Errorf("got stderr %q; want the refusal to say %q", run.Stderr, why)
				}
				if !strings.Contains(run.Stderr, "VAULT_TOKEN") && !strings.Contains(run.Stderr, "vault login with") {
					t.Errorf("got stderr %q; want it to say the login failed", run.Stderr)
				}
				return
			}
			method := envValue(tt.env, "VAULT_AUTH_METHOD")
			if envValue(tt.env, "VAULT_TOKEN") == "" && !strings.Contains(run.Stdout, "logged in by "+method+" at auth/"+ar.Mount) && !strings.Contains(run.Stdout, "logged in by "+method+" at auth/"+envValue(tt.env, "VAULT_AUTH_MOUNT")) {
				t.Errorf("stage's audit lines do not say it logged in by %s:\n%s", method, run.Stdout)
			}
			if !tt.once {
				r.Must(t, 0, "vault-promote", "--secret", ref.String(), "--rotation", id)
			}
			h.Inspect(t, r, ref)
		})
	}
}

// TestTokenRevokedAtExit: a binary that logged in revokes its token when it
// ends, whether it succeeded or failed after the login; the check first
// sees a token it should see (one the test logs in for and keeps), so it
// can fail.
func TestTokenRevokedAtExit(t *testing.T) {
	if testing.Short() {
		t.Skip("needs an OpenBao server")
	}
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	for _, l := range []vaulttest.Login{vaulttest.AppRole(t, vc, "conformance/"), vaulttest.JWT(t, vc, "conformance/"), vaulttest.KubernetesOn(env.Kube, env.Root)(t, vc, "conformance/")} {
		t.Run(l.Method, func(t *testing.T) {
			h := vaulttest.LoginHarness(t, env.Bao.Addr, env.Bao.Token, env.BinDir, l)
			r := h.NewRunner(t)
			ref := h.NewSecret(t, conformance.DBValue(r, "app"))
			id := conformance.RandomID("rot-")
			r.Must(t, 0, "vault-stage", "--secret", ref.String(), "--rotation", id)
			r.Must(t, core.ExitUsage, "vault-stage", "--secret", ref.String()+"-missing", "--rotation", id)
			r.Must(t, 0, "vault-rollback", "--secret", ref.String(), "--rotation", id)
			if n := liveTokens(t, vc, l.Policy); n != 0 {
				t.Errorf("got %d live tokens with policy %s after the binaries ended; want 0", n, l.Policy)
			}
			kept := loginAs(t, l)
			if n := liveTokens(t, vc, l.Policy); n != 1 {
				t.Errorf("got %d live tokens after the test's own login; want 1 (the check cannot see tokens)", n)
			}
			r.Secret(kept)
			if !regexp.MustCompile(vaulttest.TokenPattern).MatchString(kept) {
				t.Errorf("a client token of %d bytes does not match the leak check's pattern %s", len(kept), vaulttest.TokenPattern)
			}
		})
	}
}

// loginAs logs in the way the binaries do, through the API, and keeps the token.
func loginAs(t *testing.T, l vaulttest.Login) string {
	c := vaulttest.Client(t, env.Bao.Addr, "")
	c.ClearToken()
	data := map[string]any{}
	path := "auth/" + l.Mount + "/login"
	switch l.Method {
	case "approle":
		data["role_id"], data["secret_id"] = envValue(l.Env, "VAULT_ROLE_ID"), envValue(l.Env, "VAULT_SECRET_ID")
	case "jwt", "kubernetes":
		data["role"], data["jwt"] = "rotation", l.Secrets[0]
	}
	sec, err := c.Logical().Write(path, data)
	if err != nil || sec.Auth == nil {
		t.Fatalf("log in at %s: %v", path, err)
	}
	return sec.Auth.ClientToken
}

// liveTokens counts the unexpired tokens holding policy.
func liveTokens(t *testing.T, vc *api.Client, policy string) int {
	list, err := vc.Logical().List("auth/token/accessors")
	if err != nil || list == nil {
		t.Fatalf("list token accessors: %v", err)
	}
	keys, _ := list.Data["keys"].([]any)
	n := 0
	for _, k := range keys {
		sec, err := vc.Auth().Token().LookupAccessor(k.(string))
		if err != nil {
			continue // revoked or expired meanwhile
		}
		pols, _ := sec.TokenPolicies()
		if slices.Contains(pols, policy) {
			n++
		}
	}
	return n
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	return ""
}

// replace returns env with key set to value.
func replace(env []string, key, value string) []string {
	out := []string{key + "=" + value}
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != key {
			out = append(out, kv)
		}
	}
	return out
}

// TestLoginUnreachable: a login that cannot reach Vault exits 3, safe to
// retry, like any other call.
func TestLoginUnreachable(t *testing.T) {
	if testing.Short() {
		t.Skip("needs an OpenBao server")
	}
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	l := vaulttest.AppRole(t, vc, "conformance/")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	r := &conformance.Runner{BinDir: env.BinDir, Env: append([]string{"VAULT_ADDR=" + closed, "VAULT_MAX_RETRIES=0"}, l.Env...)}
	r.Secret(l.Secrets...)
	t.Cleanup(func() { r.CheckLeaks(t) })
	run := r.Must(t, core.ExitUnavailable, "vault-stage", "--secret", "vault://secret/conformance/s-unreachable", "--rotation", conformance.RandomID("rot-"))
	if !strings.Contains(run.Stderr, "vault login with approle") {
		t.Errorf("got stderr %q; want it to say the login failed", run.Stderr)
	}
}

// TestNoLoginOnBadInput: a binary refused for bad flags never logs in. The
// proof is a wrapped secret id, which any login would consume: after the
// refused run it still logs in.
func TestNoLoginOnBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("needs an OpenBao server")
	}
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	ar := vaulttest.AppRole(t, vc, "conformance/")
	wrapped := vaulttest.WrappedSecretID(t, vc, ar)
	h := vaulttest.LoginHarness(t, env.Bao.Addr, env.Bao.Token, env.BinDir, vaulttest.Login{
		Env:     append(replace(ar.Env, "VAULT_SECRET_ID", wrapped), "VAULT_SECRET_ID_WRAPPED=true"),
		Secrets: append(ar.Secrets, wrapped)})
	r := h.NewRunner(t)
	ref := h.NewSecret(t, conformance.DBValue(r, "app"))
	r.Must(t, core.ExitUsage, "vault-stage", "--secret", ref.String(), "--rotation", "bad id with spaces")
	r.Must(t, core.ExitUsage, "vault-stage", "--secret", "vault://secret/../x", "--rotation", conformance.RandomID("rot-"))
	r.Must(t, 0, "vault-stage", "--secret", ref.String(), "--rotation", conformance.RandomID("rot-"))
}
