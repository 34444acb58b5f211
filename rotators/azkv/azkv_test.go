package azkv_test

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/kestra-rotation/rotation-pack/rotators/azkv"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"os"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/azkv/azkvtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

// env is the Key Vault test double and the built binaries; empty under -short.
var env testsrv.Env

func TestMain(m *testing.M) {
	os.Exit(testsrv.Main(m, testsrv.Needs{AzKV: true, Binaries: true}, &env))
}

func TestStoreConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the Key Vault test double and the binaries")
	}
	conformance.StoreSuite(t, azkvtest.Harness(t, env.AzKV, env.BinDir))
}

func TestReferences(t *testing.T) {
	t.Setenv(azkv.VaultURLEnv, "")
	t.Setenv(azkv.CACertEnv, "")
	st, err := azkv.Open(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref  string
		want string // Describe, or "" for a reference that is refused
	}{
		{"azkv://orders-kv/db", "azure key vault https://orders-kv.vault.azure.net secret db (PENDING in secret db-pending)"},
		{"azkv://orders-kv/db?expires=90d", "azure key vault https://orders-kv.vault.azure.net secret db (PENDING in secret db-pending)"},
		// PENDING's name is derived: an option naming another secret is refused,
		// and so is a sibling named as the secret to rotate.
		{"azkv://orders-kv/orders-db?pending=billing-db", ""},
		{"azkv://orders-kv/billing-db-Pending", ""},
		{"azkv://orders-kv/db?expires=720h", "azure key vault https://orders-kv.vault.azure.net secret db (PENDING in secret db-pending)"},
		{"azkv://orders-kv/db?pending=DB", ""},
		{"azkv://orders-kv/db?expires=soon", ""},
		{"azkv://orders-kv/db?expires=-3d", ""},
		{"azkv://orders-kv/db_x", ""},
		{"azkv://kv/db", ""},
		{"azkv://orders-kv/a/b", ""},
		// Length limits, checked apart from the patterns.
		{"azkv://abcdefghijklmnopqrstuvwx/" + strings.Repeat("s", 118), "azure key vault https://abcdefghijklmnopqrstuvwx.vault.azure.net secret " + strings.Repeat("s", 118) + " (PENDING in secret " + strings.Repeat("s", 118) + "-pending)"},
		{"azkv://abcdefghijklmnopqrstuvwxy/db", ""},
		{"azkv://orders-kv-/db", ""},
		{"azkv://orders-kv/" + strings.Repeat("s", 128), ""},
		{"azkv://orders-kv/" + strings.Repeat("s", 120), ""}, // its sibling s…s-pending is 128 long
	}
	for _, tc := range tests {
		ref, err := core.ParseRef(tc.ref)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Describe(ref); tc.want != "" && got != tc.want {
			t.Errorf("Describe(%s): got %q, want %q", tc.ref, got, tc.want)
		}
		if tc.want != "" {
			continue
		}
		if _, err := st.Get(t.Context(), ref, core.Current); !errors.Is(err, core.ErrUsage) {
			t.Errorf("Get(%s): got %v, want a usage error", tc.ref, err)
		}
	}
}

func TestOpenConfiguration(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, url, ca string
		wantErr       bool
	}{
		{"defaults", "", "", false},
		{"sovereign cloud template", "https://{vault}.vault.azure.cn", "", false},
		{"plain http", "http://127.0.0.1:8443", "", true},
		{"missing CA file", "", "/nonexistent/ca.pem", true},
		{"CA file without a certificate", "", notPEM, true},
	}
	for _, tc := range tests {
		t.Setenv(azkv.VaultURLEnv, tc.url)
		t.Setenv(azkv.CACertEnv, tc.ca)
		_, err := azkv.Open(t.Context())
		if gotErr := err != nil; gotErr != tc.wantErr || (gotErr && !errors.Is(err, core.ErrUsage)) {
			t.Errorf("%s: got %v, want error %v", tc.name, err, tc.wantErr)
		}
	}
}
