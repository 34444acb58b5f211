package vault_test

import (
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// TestPendingPrefix: ?pending= is one segment starting with _, never a
// folder applications read (docs/security.md, "references").
func TestPendingPrefix(t *testing.T) {
	tests := []struct {
		ref, want string // want "" when refused
	}{
		{"vault://secret/apps/db", "_pending"},
		{"vault://secret/apps/db?pending=_staging", "_staging"},
		{"vault://secret/apps/db?pending=apps", ""},
		{"vault://secret/apps/db?pending=staging", ""},
		{"vault://secret/apps/db?pending=_a/b", ""},
	}
	for _, tt := range tests {
		ref, err := core.ParseRef(tt.ref)
		if err != nil {
			t.Fatal(err)
		}
		got, err := vault.PendingPrefix(ref)
		if (tt.want == "") != (err != nil) || got != tt.want {
			t.Errorf("PendingPrefix(%s) = %q, %v; want %q", tt.ref, got, err, tt.want)
		}
	}
}

// TestPendingNeverInReadersTree: a stage with ?pending=apps is refused and
// writes nothing under apps/, where applications' policies let them read;
// so is a reference into the PENDING tree itself.
func TestPendingNeverInReadersTree(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs OpenBao")
	}
	h := vaulttest.Harness(t, env.Bao.Addr, env.Bao.Token, env.BinDir)
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	r := h.NewRunner(t)
	path := "apps/" + conformance.RandomID("orders-")
	ref := vaulttest.Put(t, vc, path, conformance.DBValue(r, "orders"))
	for _, bad := range []string{ref.String() + "?pending=apps", "vault://secret/_pending/" + path} {
		r.Must(t, core.ExitUsage, "vault-stage", "--secret", bad, "--rotation", conformance.RandomID("rot-"), "--generate", "length=32")
	}
	if s, err := vc.KVv2("secret").Get(t.Context(), "apps/"+path); err == nil && s != nil {
		t.Errorf("PENDING was written at secret/apps/%s, inside the tree applications read", path)
	}
	if s, err := vc.KVv2("secret").Get(t.Context(), "_pending/_pending/"+path); err == nil && s != nil {
		t.Errorf("PENDING was written at secret/_pending/_pending/%s", path)
	}
}
