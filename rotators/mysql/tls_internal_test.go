package mysql

import (
	"encoding/pem"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// TestTLSModeDefault: true (verified) unless the host is this machine; the
// secret's tls field always wins.
func TestTLSModeDefault(t *testing.T) {
	tests := []struct{ name, host, secretTLS, want string }{
		{"remote name", "db.example.com", "", "true"},
		{"remote IP", "10.0.0.5", "", "true"},
		{"IPv6 remote", "2001:db8::1", "", "true"},
		{"127.0.0.1", "127.0.0.1", "", "preferred"},
		{"127.1.2.3", "127.1.2.3", "", "preferred"},
		{"::1", "::1", "", "preferred"},
		{"localhost", "localhost", "", "preferred"},
		{"secret tls wins remote", "db.example.com", "preferred", "preferred"},
		{"secret tls wins loopback", "127.0.0.1", "true", "true"},
		{"secret skip-verify", "db.example.com", "skip-verify", "skip-verify"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			creds, _ := core.ParseValue([]byte(`{}`)) // a literal object always parses
			if tc.secretTLS != "" {
				creds = creds.With("tls", tc.secretTLS)
			}
			if got := tlsMode(creds, tc.host); got != tc.want {
				t.Errorf("tlsMode(host %q, tls %q) = %q, want %q", tc.host, tc.secretTLS, got, tc.want)
			}
		})
	}
}

// TestSetTLS: MYSQL_CA_CERT gives a verified connection its own tls.Config
// naming the host; other modes and a missing variable leave the driver's.
func TestSetTLS(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(nil) // only for a certificate to trust
	srv.Close()
	caPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, mode, ca string
		wantOwn        bool
		wantErr        error
	}{
		{"true without CA", "true", "", false, nil},
		{"true with CA", "true", caPEM, true, nil},
		{"preferred with CA", "preferred", notPEM, false, nil},
		{"true with missing CA file", "true", filepath.Join(dir, "absent.pem"), false, core.ErrUsage},
		{"true with a file that is not PEM", "true", notPEM, false, core.ErrUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(CACertEnv, tc.ca)
			creds, _ := core.ParseValue([]byte(`{"username":"u","password":"p","host":"db.example.com"}`))
			cfg, err := config(creds.With("tls", tc.mode))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("config: got %v, want %v", err, tc.wantErr)
			}
			if err == nil && (cfg.TLS != nil) != tc.wantOwn {
				t.Errorf("own tls.Config = %v, want %v", cfg.TLS != nil, tc.wantOwn)
			}
			if tc.wantOwn && cfg.TLS.ServerName != "db.example.com" {
				t.Errorf("ServerName = %q, want the host", cfg.TLS.ServerName)
			}
			if err == nil && cfg.TLSConfig != tc.mode {
				t.Errorf("TLSConfig = %q, want %q", cfg.TLSConfig, tc.mode)
			}
		})
	}
}
