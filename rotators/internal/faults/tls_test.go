package faults

import (
	"encoding/pem"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// tlsFront puts an HTTPS reverse proxy with its own self-signed
// certificate (for 127.0.0.1) in front of upstream, and returns its URL and
// a PEM file of that certificate: a server only a private CA vouches for.
func tlsFront(t *testing.T, upstream string) (frontURL, caFile string) {
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(u))
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv.URL, caFile
}

// TestTLSVerifiedByDefault: each HTTPS store refuses a server whose
// certificate the system does not trust (exit 2 naming the certificate:
// retrying cannot help), and works once the documented variable names the
// private CA.
func TestTLSVerifiedByDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("needs OpenBao, moto and the Azure double")
	}
	vault, awssm, azkv := vaultKit(t), awssmKit(t), azkvKit(t)
	vaultFront, vaultCA := tlsFront(t, env.Bao.Addr)
	awsFront, awsCA := tlsFront(t, env.Moto.Endpoint)
	tests := []struct {
		name              string
		kit               storeKit
		untrusted, trusts []string
	}{
		{"vault VAULT_CACERT", vault, []string{"VAULT_ADDR=" + vaultFront}, []string{"VAULT_CACERT=" + vaultCA}},
		{"awssm AWS_CA_BUNDLE", awssm, []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + awsFront}, []string{"AWS_CA_BUNDLE=" + awsCA}},
		// The double serves HTTPS with its own CA; its Env names it in AZKV_CA_CERT.
		{"azkv AZKV_CA_CERT", azkv, []string{"AZKV_CA_CERT="}, []string{"AZKV_CA_CERT=" + env.AzKV.CAFile}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			untrusted := tc.kit.h.NewRunner(t, tc.untrusted...)
			ref, id := tc.kit.h.NewSecret(t, conformance.DBValue(untrusted, "app")), conformance.RandomID("rot-")
			run := untrusted.Must(t, core.ExitUsage, tc.kit.h.Scheme+"-stage", "--secret", ref.String(), "--rotation", id)
			if !strings.Contains(run.Stderr, "certificate") {
				t.Errorf("got %q, want an error naming the certificate", run.Stderr)
			}
			trusted := tc.kit.h.NewRunner(t, append(tc.untrusted, tc.trusts...)...)
			trusted.Must(t, 0, tc.kit.h.Scheme+"-stage", "--secret", ref.String(), "--rotation", id)
			tc.kit.h.Inspect(t, trusted, ref)
			trusted.Must(t, 0, tc.kit.h.Scheme+"-rollback", "--secret", ref.String(), "--rotation", id)
		})
	}
}
