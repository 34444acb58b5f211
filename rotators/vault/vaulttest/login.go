package vaulttest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// Login is how the binaries log in instead of VAULT_TOKEN: the environment
// they get (without VAULT_TOKEN) and the credentials the leak check must
// find in no output.
type Login struct {
	Method  string
	Mount   string
	Policy  string   // the documented policy, as the role's only policy
	Env     []string // VAULT_AUTH_METHOD and the method's variables
	Secrets []string // role id, secret id, JWT
	// Sign signs another JWT with the key the jwt mount trusts (jwt only).
	Sign func(t testing.TB, subject string, ttl time.Duration) string
}

// AppRole enables AppRole at a fresh mount and makes a role whose tokens
// hold only the documented policy for prefix (no default policy, so the
// policy alone must be enough), with a secret id; the binaries get both
// through VAULT_ROLE_ID and VAULT_SECRET_ID.
func AppRole(t testing.TB, c *api.Client, prefix string) Login {
	l := Login{Method: "approle", Mount: "approle-" + conformance.RandomID(""), Policy: Policy(t, c, prefix)}
	enableAuth(t, c, l.Mount, "approle")
	role := "auth/" + l.Mount + "/role/rotation"
	write(t, c, role, map[string]any{"token_policies": l.Policy, "token_no_default_policy": true,
		"token_ttl": "10m", "token_max_ttl": "30m", "secret_id_ttl": "1h"})
	roleID := read(t, c, role+"/role-id")["role_id"].(string)
	sec, err := c.Logical().Write(role+"/secret-id", nil)
	if err != nil {
		t.Fatalf("new secret id: %v", err)
	}
	secretID := sec.Data["secret_id"].(string)
	l.Env = []string{"VAULT_AUTH_METHOD=approle", "VAULT_AUTH_MOUNT=" + l.Mount, "VAULT_ROLE_ID=" + roleID, "VAULT_SECRET_ID=" + secretID}
	l.Secrets = []string{roleID, secretID}
	return l
}

// WrappedSecretID returns a fresh secret id of the AppRole l, wrapped in a
// one-use response-wrapping token, as an orchestrator hands it out.
func WrappedSecretID(t testing.TB, c *api.Client, l Login) string {
	w, err := c.Clone()
	if err != nil {
		t.Fatal(err)
	}
	w.SetToken(c.Token())
	w.SetWrappingLookupFunc(func(string, string) string { return "5m" })
	sec, err := w.Logical().Write("auth/"+l.Mount+"/role/rotation/secret-id", nil)
	if err != nil || sec.WrapInfo == nil {
		t.Fatalf("wrapped secret id: %v", err)
	}
	return sec.WrapInfo.Token
}

// JWT enables jwt auth at a fresh mount that validates tokens against a
// JWKS served on loopback (a key pair made here, like a CI provider's or a
// cluster's issuer), makes a role bound to the audience and subject whose
// tokens hold only the documented policy for prefix, and writes a signed
// JWT to a file: VAULT_AUTH_JWT_FILE.
func JWT(t testing.TB, c *api.Client, prefix string) Login {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks := serveJWKS(t, &key.PublicKey)
	l := Login{Method: "jwt", Mount: "jwt-" + conformance.RandomID(""), Policy: Policy(t, c, prefix)}
	enableAuth(t, c, l.Mount, "jwt")
	write(t, c, "auth/"+l.Mount+"/config", map[string]any{"jwks_url": jwks, "bound_issuer": "https://issuer.test"})
	write(t, c, "auth/"+l.Mount+"/role/rotation", map[string]any{"role_type": "jwt", "user_claim": "sub",
		"bound_audiences": "rotation-pack", "bound_subject": "kestra-worker", "token_policies": l.Policy,
		"token_no_default_policy": true, "token_ttl": "10m", "token_max_ttl": "30m"})
	jwt := SignJWT(t, key, "kestra-worker", time.Hour)
	file := filepath.Join(t.TempDir(), "jwt")
	if err := os.WriteFile(file, []byte(jwt+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l.Env = []string{"VAULT_AUTH_METHOD=jwt", "VAULT_AUTH_MOUNT=" + l.Mount, "VAULT_AUTH_ROLE=rotation", "VAULT_AUTH_JWT_FILE=" + file}
	l.Secrets = []string{jwt}
	l.Sign = func(t testing.TB, subject string, ttl time.Duration) string { return SignJWT(t, key, subject, ttl) }
	return l
}

// SignJWT signs an ES256 JWT for subject, audience rotation-pack, issuer
// https://issuer.test, valid for ttl (negative: already expired).
func SignJWT(t testing.TB, key *ecdsa.PrivateKey, subject string, ttl time.Duration) string {
	now := time.Now()
	return signES256(t, key, "test-key", map[string]any{"iss": "https://issuer.test", "sub": subject, "aud": "rotation-pack",
		"iat": now.Add(-time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(ttl).Unix()})
}

// signES256 encodes and signs a JWT (ES256: r and s, 32 bytes each).
func signES256(t testing.TB, key *ecdsa.PrivateKey, kid string, claims map[string]any) string {
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signed := enc(map[string]string{"alg": "ES256", "typ": "JWT", "kid": kid}) + "." + enc(claims)
	digest := sha256.Sum256([]byte(signed))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// serveJWKS serves the public key as a JWKS on a loopback port until the
// test ends, and returns its URL.
func serveJWKS(t testing.TB, pub *ecdsa.PublicKey) string {
	point, err := pub.Bytes() // 0x04, then X and Y, 32 bytes each
	if err != nil {
		t.Fatal(err)
	}
	x, y := point[1:33], point[33:65]
	body, err := json.Marshal(map[string]any{"keys": []map[string]string{{"kty": "EC", "crv": "P-256", "kid": "test-key",
		"alg": "ES256", "use": "sig", "x": base64.RawURLEncoding.EncodeToString(x), "y": base64.RawURLEncoding.EncodeToString(y)}}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String() + "/.well-known/jwks.json"
}

// Policy writes the documented policy with "apps/" replaced by prefix under
// a fresh name and returns the name.
func Policy(t testing.TB, c *api.Client, prefix string) string {
	name := "rotation-" + conformance.RandomID("")
	if err := c.Sys().PutPolicy(name, policyText(t, prefix)); err != nil {
		t.Fatalf("write policy: %v", err)
	}
	return name
}

// SecretIDPolicy writes docs/vault-secret-id-policy.hcl (under root) for
// the AppRole mount mount and role rotation under a fresh name, and returns
// the name: what vault-secret-id-rotate needs besides the rotation policy.
func SecretIDPolicy(t testing.TB, c *api.Client, root, mount string) string {
	b, err := os.ReadFile(filepath.Join(root, "docs", "vault-secret-id-policy.hcl"))
	if err != nil || !strings.Contains(string(b), "auth/approle/role/rotation/") {
		t.Fatalf("docs/vault-secret-id-policy.hcl: %v, or no auth/approle/role/rotation/ path", err)
	}
	name := "secret-id-" + conformance.RandomID("")
	if err := c.Sys().PutPolicy(name, strings.ReplaceAll(string(b), "auth/approle/", "auth/"+mount+"/")); err != nil {
		t.Fatalf("write policy: %v", err)
	}
	return name
}

func enableAuth(t testing.TB, c *api.Client, mount, kind string) {
	if err := c.Sys().EnableAuthWithOptions(mount, &api.EnableAuthOptions{Type: kind}); err != nil {
		t.Fatalf("enable %s auth at %s: %v", kind, mount, err)
	}
}

func write(t testing.TB, c *api.Client, path string, data map[string]any) {
	if _, err := c.Logical().WriteWithContext(context.Background(), path, data); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

func read(t testing.TB, c *api.Client, path string) map[string]any {
	sec, err := c.Logical().Read(path)
	if err != nil || sec == nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return sec.Data
}

// LoginHarness is Harness with the binaries logging in by l instead of a
// token: no VAULT_TOKEN in their environment, and l's credentials, plus
// anything shaped like a Vault token, in the leak check.
func LoginHarness(t testing.TB, addr, token, binDir string, l Login) conformance.StoreHarness {
	h := Harness(t, addr, token, binDir)
	h.Env = append([]string{"VAULT_ADDR=" + addr}, l.Env...)
	h.Secrets = append(h.Secrets, l.Secrets...)
	h.Patterns = append(h.Patterns, TokenPattern)
	return h
}

// TokenPattern matches Vault and OpenBao service and batch tokens
// (hvs./hvb. and the legacy s./b. forms): any client token a binary got by
// logging in must appear in no output, though the test never sees it.
const TokenPattern = `\b(hv[sb]|[sb])\.[A-Za-z0-9_-]{20,}`

// String names the method, for subtest names.
func (l Login) String() string { return fmt.Sprintf("%s at auth/%s", l.Method, l.Mount) }
