package vault_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// TestInventory lists 300 secrets in nested folders, in mixed states, with
// a token holding only the documented policy.
func TestInventory(t *testing.T) {
	if testing.Short() {
		t.Skip("needs an OpenBao server")
	}
	conformance.InventorySuite(t, vaulttest.InventoryHarness(t, env.Bao.Addr, env.Bao.Token, env.BinDir, 300))
}

// TestInventoryTagFilter: --tag matches the secrets' custom_metadata.
func TestInventoryTagFilter(t *testing.T) {
	if testing.Short() {
		t.Skip("needs an OpenBao server")
	}
	conformance.InventoryTagSuite(t, vaulttest.InventoryHarness(t, env.Bao.Addr, env.Bao.Token, env.BinDir, 0))
}

// TestInventoryWholeMount: listing a mount's root leaves the PENDING folder
// out and still finds each secret's PENDING there.
func TestInventoryWholeMount(t *testing.T) {
	if testing.Short() {
		t.Skip("needs an OpenBao server")
	}
	h := vaulttest.InventoryHarness(t, env.Bao.Addr, env.Bao.Token, env.BinDir, 0)
	r := h.NewRunner(t)
	ref, id := h.Create(t, 0, conformance.DBValue(r, "app")), conformance.RandomID("stuck-")
	r.Must(t, 0, "vault-stage", "--secret", ref.String(), "--rotation", id)
	h.Inspect(t, r, ref)
	dir := t.TempDir()
	root := &conformance.Runner{BinDir: env.BinDir, Env: []string{"VAULT_ADDR=" + env.Bao.Addr, "VAULT_TOKEN=" + env.Bao.Token}}
	root.Must(t, 0, "vault-inventory", "--prefix", "vault://secret/", "--output-dir", dir)
	b, err := os.ReadFile(filepath.Join(dir, "vault-inventory.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "/_pending/") {
		t.Error("the report lists entries of the PENDING folder as secrets")
	}
	if !strings.Contains(string(b), `{"secret":"`+ref.String()+`"`) || !strings.Contains(string(b), `"pending_rotation":"`+id+`"`) {
		t.Errorf("the report lacks %s with its PENDING of rotation %s", ref, id)
	}
}
