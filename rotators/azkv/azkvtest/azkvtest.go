// Package azkvtest wires the Azure Key Vault store into the conformance
// suites, against the in-repo TEST DOUBLE of Key Vault (package
// azkvdouble), for tests of this store and of targets that keep their
// secrets in it.
package azkvtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/kestra-rotation/rotation-pack/rotators/azkv"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/azkvdouble"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// Vault is the vault name the tests' references use.
const Vault = "conformance"

// Harness returns the store harness for the test double srv. It sets the
// double's environment in the test process too (t.Setenv).
func Harness(t testing.TB, srv *azkvdouble.TestDoubleServer, binDir string) conformance.StoreHarness {
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	st, err := azkv.Open(context.Background())
	if err != nil {
		t.Fatalf("open azkv store: %v", err)
	}
	c := Client(t, srv)
	return conformance.StoreHarness{
		Scheme:  "azkv",
		BinDir:  binDir,
		Env:     srv.Env(),
		Secrets: []string{srv.IdentityHeader},
		Store:   st,
		NewSecret: func(t testing.TB, v core.Value) core.Ref {
			return Put(t, c, conformance.RandomID("s-"), v)
		},
		ReadLatest: func(t testing.TB, ref core.Ref) core.Value {
			return ReadLatest(t, c, ref)
		},
	}
}

// Client returns a raw azsecrets client for the double, authenticated by
// its managed-identity endpoint and trusting its CA.
func Client(t testing.TB, srv *azkvdouble.TestDoubleServer) *azsecrets.Client {
	pem, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	opts := azcore.ClientOptions{Transport: &http.Client{Transport: tr}}
	t.Setenv("IDENTITY_ENDPOINT", srv.IdentityEndpoint)
	t.Setenv("IDENTITY_HEADER", srv.IdentityHeader)
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts})
	if err != nil {
		t.Fatalf("managed identity credential: %v", err)
	}
	c, err := azsecrets.NewClient(srv.URL, cred, &azsecrets.ClientOptions{ClientOptions: opts, DisableChallengeResourceVerification: true})
	if err != nil {
		t.Fatalf("azsecrets client: %v", err)
	}
	return c
}

// Put sets v as a new version of secret name and returns its reference.
func Put(t testing.TB, c *azsecrets.Client, name string, v core.Value) core.Ref {
	t.Helper()
	data, _ := v.MarshalJSON()
	return PutRaw(t, c, name, string(data))
}

// PutRaw is Put with the value as given (for bad-input tests).
func PutRaw(t testing.TB, c *azsecrets.Client, name, s string) core.Ref {
	t.Helper()
	if _, err := c.SetSecret(context.Background(), name, azsecrets.SetSecretParameters{Value: &s}, nil); err != nil {
		t.Fatalf("set secret %s: %v", name, err)
	}
	ref, err := core.ParseRef("azkv://" + Vault + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// ReadLatest reads the latest version as an application does.
func ReadLatest(t testing.TB, c *azsecrets.Client, ref core.Ref) core.Value {
	t.Helper()
	r, err := c.GetSecret(context.Background(), ref.Path, "", nil)
	if err != nil {
		t.Fatalf("read %s: %v", ref, err)
	}
	v, err := core.ParseValue([]byte(*r.Value))
	if err != nil {
		t.Fatalf("read %s: %v", ref, err)
	}
	return v
}

// InventoryHarness returns the inventory harness: secrets inv-<random>-s-NNN
// in the test double (which evaluates no RBAC).
func InventoryHarness(t testing.TB, srv *azkvdouble.TestDoubleServer, binDir string, count int) conformance.InventoryHarness {
	prefix := conformance.RandomID("inv-") + "-"
	h := Harness(t, srv, binDir)
	c := Client(t, srv)
	return conformance.InventoryHarness{
		StoreHarness: h,
		Prefix:       "azkv://" + Vault + "/" + prefix,
		Count:        count,
		Create: func(t testing.TB, i int, v core.Value) core.Ref {
			return Put(t, c, fmt.Sprintf("%ss-%03d", prefix, i), v)
		},
		Outside: func(t testing.TB, v core.Value) core.Ref {
			return Put(t, c, strings.TrimSuffix(prefix, "-")+"other", v)
		},
		Tag: func(t testing.TB, ref core.Ref, key, value string) { // tags belong to a version: the latest
			latest, err := c.GetSecret(context.Background(), ref.Path, "", nil)
			if err != nil {
				t.Fatalf("tag %s: %v", ref, err)
			}
			if _, err := c.UpdateSecretProperties(context.Background(), ref.Path, latest.ID.Version(),
				azsecrets.UpdateSecretPropertiesParameters{Tags: map[string]*string{key: &value}}, nil); err != nil {
				t.Fatalf("tag %s: %v", ref, err)
			}
		},
	}
}
