// Package azkvdouble is a TEST DOUBLE of Azure Key Vault's secrets REST API:
// an in-memory HTTPS server with its own certificate authority, plus a fake
// managed-identity token endpoint of the App Service kind
// (IDENTITY_ENDPOINT/IDENTITY_HEADER), so that the real azsecrets client
// and azidentity's DefaultAzureCredential talk to it unchanged.
//
// It exists because Lowkey Vault, the Key Vault emulator the project meant
// to test against, is not served by the package registry this project can
// reach (com.github.nagyesta.lowkey-vault:lowkey-vault-app 7.3.74, 7.3.73,
// 7.3.48, 7.3.37, 7.3.0, 7.2.26, 7.1.61 and 6.0.6 were all refused). It is
// not a product component and must never be mistaken for Azure.
//
// It is written from Microsoft's REST reference for Key Vault secrets and
// implements what the azkv store uses, with Azure's semantics:
//   - challenge-based bearer auth: a request without a valid token gets 401
//     and WWW-Authenticate: Bearer authorization="…", resource="https://vault.azure.net";
//     only tokens issued by the double's token endpoint are accepted;
//   - set secret (every call a new version with a 32-hex id, created and
//     updated in whole Unix seconds as Azure reports them), get latest or a
//     given version, list secrets and list versions (paged with nextLink,
//     at most 25 a page; a listed secret shows its latest version's
//     attributes and tags, never a value), update a
//     version's enabled/exp/nbf/contentType/tags;
//   - a disabled version is 403 Forbidden with inner code SecretDisabled
//     (Lowkey answers 404 there; Azure 403), also when it is the latest;
//   - soft delete: a deleted secret keeps its name (409 Conflict on set),
//     can be read from /deletedsecrets, recovered (asynchronously: the name
//     is back after RecoverDelay) or purged.
package azkvdouble

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Resource is the audience Key Vault's challenge names, as in Azure.
const Resource = "https://vault.azure.net"

// TestDouble is the in-memory Key Vault test double.
type TestDouble struct {
	// RecoverDelay is how long a recovered secret stays unavailable.
	RecoverDelay time.Duration

	mu      sync.Mutex
	secrets map[string]*secret // live secrets by lower-case name
	deleted map[string]*secret // soft-deleted secrets by lower-case name
	tokens  map[string]bool    // access tokens the token endpoint issued
	header  string             // the IDENTITY_HEADER value the token endpoint wants
	now     func() time.Time
}

// TestDoubleServer is a running test double.
type TestDoubleServer struct {
	URL              string // https://127.0.0.1:<port>, the vault URL
	CAFile           string // PEM of the CA that signed the server certificate
	IdentityEndpoint string // http://127.0.0.1:<port>/msi/token
	IdentityHeader   string // the secret the token endpoint wants in X-IDENTITY-HEADER
	Double           *TestDouble

	dir       string
	vault     *http.Server
	tokenSrv  *http.Server
	closeOnce sync.Once
}

// StartTestDouble serves a new test double on two free loopback ports:
// the vault over HTTPS and the token endpoint over HTTP.
func StartTestDouble(ctx context.Context) (_ *TestDoubleServer, err error) {
	dir, err := os.MkdirTemp("", "azkv-double-")
	if err != nil {
		return nil, fmt.Errorf("azkv test double: %w", err)
	}
	s := &TestDoubleServer{dir: dir, CAFile: filepath.Join(dir, "ca.pem"), IdentityHeader: randomHex(16)}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	d := &TestDouble{RecoverDelay: 300 * time.Millisecond, secrets: map[string]*secret{}, deleted: map[string]*secret{},
		tokens: map[string]bool{}, header: s.IdentityHeader, now: time.Now}
	s.Double = d
	tlsConf, err := newTLS(s.CAFile)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	vl, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("azkv test double: %w", err)
	}
	tl, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		vl.Close()
		return nil, fmt.Errorf("azkv test double: %w", err)
	}
	s.URL, s.IdentityEndpoint = "https://"+vl.Addr().String(), "http://"+tl.Addr().String()+"/msi/token"
	s.vault = &http.Server{Handler: d.vaultHandler(), TLSConfig: tlsConf, ReadHeaderTimeout: 10 * time.Second}
	s.tokenSrv = &http.Server{Handler: http.HandlerFunc(d.serveToken), ReadHeaderTimeout: 10 * time.Second}
	go serve(func() error { return s.vault.ServeTLS(vl, "", "") })
	go serve(func() error { return s.tokenSrv.Serve(tl) })
	return s, nil
}

func serve(fn func() error) {
	if err := fn(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "azkv test double:", err)
	}
}

// Stop closes both servers and removes the CA file; safe on nil and twice.
func (s *TestDoubleServer) Stop() {
	if s == nil {
		return
	}
	s.closeOnce.Do(func() {
		for _, srv := range []*http.Server{s.vault, s.tokenSrv} {
			if srv != nil {
				_ = srv.Close()
			}
		}
		_ = os.RemoveAll(s.dir)
	})
}

// Env returns the environment the azkv binaries need to reach the double:
// the vault URL, its CA, and the managed identity the credential chain uses.
func (s *TestDoubleServer) Env() []string {
	return []string{"AZKV_VAULT_URL=" + s.URL, "AZKV_CA_CERT=" + s.CAFile,
		"IDENTITY_ENDPOINT=" + s.IdentityEndpoint, "IDENTITY_HEADER=" + s.IdentityHeader,
		"AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential"}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on Linux
	return hex.EncodeToString(b)
}
