package azkvdouble_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/kestra-rotation/rotation-pack/rotators/azkv/azkvtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/azkvdouble"
)

// shared is the test double of this package, started once in TestMain:
// azidentity caches managed-identity tokens per process, so a second
// double (which issues its own tokens) would see stale ones.
var shared *azkvdouble.TestDoubleServer

func TestMain(m *testing.M) {
	srv, err := azkvdouble.StartTestDouble(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	shared = srv
	code := m.Run()
	srv.Stop()
	os.Exit(code)
}

// newTestDouble returns the test double and the real azsecrets client
// (managed identity against the double's token endpoint, its CA trusted).
func newTestDouble(t *testing.T) (*azkvdouble.TestDoubleServer, *azsecrets.Client) {
	t.Helper()
	return shared, azkvtest.Client(t, shared)
}

func set(t *testing.T, c *azsecrets.Client, name, value string) string {
	t.Helper()
	r, err := c.SetSecret(context.Background(), name, azsecrets.SetSecretParameters{Value: &value}, nil)
	if err != nil {
		t.Fatalf("set %s: %v", name, err)
	}
	return r.ID.Version()
}

func wantStatus(t *testing.T, what string, err error, want int) {
	t.Helper()
	var re *azcore.ResponseError
	switch {
	case want == 0 && err == nil:
	case want == 0 || !errors.As(err, &re):
		t.Errorf("%s: got %v, want status %d", what, err, want)
	case re.StatusCode != want:
		t.Errorf("%s: got status %d (%v), want %d", what, re.StatusCode, err, want)
	}
}

func TestTestDoubleChallengeAuth(t *testing.T) {
	srv, _ := newTestDouble(t)
	pem, _ := os.ReadFile(srv.CAFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	for _, auth := range []string{"", "Bearer not-issued-by-the-double"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/secrets/x?api-version=2025-07-01", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		challenge := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(challenge, `resource="`+azkvdouble.Resource+`"`) {
			t.Errorf("auth %q: got %d with challenge %q, want 401 naming %s", auth, resp.StatusCode, challenge, azkvdouble.Resource)
		}
	}
}

func TestTestDoubleVersions(t *testing.T) {
	ctx := context.Background()
	_, c := newTestDouble(t)
	name := t.Name()
	first := set(t, c, name, "one")
	second := set(t, c, name, "two")
	if len(first) != 32 || first == second {
		t.Errorf("version ids: got %q and %q, want two different 32-hex ids", first, second)
	}
	tests := []struct{ version, want string }{{"", "two"}, {first, "one"}, {second, "two"}}
	for _, tc := range tests {
		r, err := c.GetSecret(ctx, name, tc.version, nil)
		if err != nil || *r.Value != tc.want {
			t.Errorf("get version %q: got %v, %v; want %q", tc.version, r.Value, err, tc.want)
		}
	}
	r, _ := c.GetSecret(ctx, name, "", nil)
	if created := *r.Attributes.Created; created.Nanosecond() != 0 || time.Since(created) > time.Minute {
		t.Errorf("created %v: want whole seconds, just now", created)
	}
	_, err := c.GetSecret(ctx, "nope", "", nil)
	wantStatus(t, "get a missing secret", err, http.StatusNotFound)
}

func TestTestDoubleListVersionsPages(t *testing.T) {
	_, c := newTestDouble(t)
	name := t.Name()
	for range 30 {
		set(t, c, name, "v")
	}
	n := 0
	for p := c.NewListSecretPropertiesVersionsPager(name, nil); p.More(); {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n != 30 {
		t.Errorf("listed %d versions over pages, want 30", n)
	}
}

func TestTestDoubleDisabledVersionIsForbidden(t *testing.T) {
	ctx := context.Background()
	_, c := newTestDouble(t)
	name := t.Name()
	old := set(t, c, name, "one")
	latest := set(t, c, name, "two")
	for _, v := range []string{old, latest} {
		_, err := c.UpdateSecretProperties(ctx, name, v, azsecrets.UpdateSecretPropertiesParameters{
			SecretAttributes: &azsecrets.SecretAttributes{Enabled: new(bool)}}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []string{old, ""} {
		_, err := c.GetSecret(ctx, name, v, nil)
		wantStatus(t, "get disabled version "+v, err, http.StatusForbidden)
		if err == nil || !strings.Contains(err.Error(), "SecretDisabled") {
			t.Errorf("get disabled version %q: got %v, want inner code SecretDisabled", v, err)
		}
	}
}

func TestTestDoubleTagsAndExpiry(t *testing.T) {
	ctx := context.Background()
	_, c := newTestDouble(t)
	name := t.Name()
	exp := time.Now().Add(90 * 24 * time.Hour).Truncate(time.Second)
	rot := "r1"
	r, err := c.SetSecret(ctx, name, azsecrets.SetSecretParameters{Value: new(string), Tags: map[string]*string{"rotation_id": &rot},
		SecretAttributes: &azsecrets.SecretAttributes{Expires: &exp}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := c.GetSecret(ctx, name, r.ID.Version(), nil)
	if got.Tags["rotation_id"] == nil || *got.Tags["rotation_id"] != rot || got.Attributes.Expires == nil || !got.Attributes.Expires.Equal(exp) {
		t.Errorf("tags %v, expires %v: want rotation_id %s and %v", got.Tags, got.Attributes.Expires, rot, exp)
	}
	set(t, c, name, "untagged")
	if latest, _ := c.GetSecret(ctx, name, "", nil); latest.Tags["rotation_id"] != nil {
		t.Errorf("a new version inherited the tags of the previous one")
	}
}

func TestTestDoubleSoftDelete(t *testing.T) {
	ctx := context.Background()
	srv, c := newTestDouble(t)
	name := t.Name()
	set(t, c, name, "one")
	if _, err := c.DeleteSecret(ctx, name, nil); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetSecret(ctx, name, "", nil)
	wantStatus(t, "get a deleted secret", err, http.StatusNotFound)
	_, err = c.SetSecret(ctx, name, azsecrets.SetSecretParameters{Value: new(string)}, nil)
	wantStatus(t, "set a deleted secret's name", err, http.StatusConflict)
	if _, err := c.GetDeletedSecret(ctx, name, nil); err != nil {
		t.Errorf("get deleted: %v", err)
	}
	if _, err := c.RecoverDeletedSecret(ctx, name, nil); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetSecret(ctx, name, "", nil)
	wantStatus(t, "get right after recover (recovery is asynchronous)", err, http.StatusNotFound)
	time.Sleep(srv.Double.RecoverDelay)
	if r, err := c.GetSecret(ctx, name, "", nil); err != nil || *r.Value != "one" {
		t.Errorf("get after recovery: got %v, %v; want one", r.Value, err)
	}
	if _, err := c.DeleteSecret(ctx, name, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PurgeDeletedSecret(ctx, name, nil); err != nil {
		t.Fatal(err)
	}
	set(t, c, name, "fresh")
	n := 0
	for p := c.NewListSecretPropertiesVersionsPager(name, nil); p.More(); {
		page, _ := p.NextPage(ctx)
		n += len(page.Value)
	}
	if n != 1 {
		t.Errorf("after purge and set: %d versions, want 1", n)
	}
}
