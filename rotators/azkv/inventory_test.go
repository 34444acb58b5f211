package azkv_test

import (
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/azkv/azkvtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// TestInventory lists 300 secrets (pages of 25, their -pending siblings
// folded in) in mixed states.
func TestInventory(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the Key Vault test double and the binaries")
	}
	conformance.InventorySuite(t, azkvtest.InventoryHarness(t, env.AzKV, env.BinDir, 300))
}

// TestInventoryTagFilter: --tag matches the tags of the latest version.
func TestInventoryTagFilter(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the Key Vault test double and the binaries")
	}
	conformance.InventoryTagSuite(t, azkvtest.InventoryHarness(t, env.AzKV, env.BinDir, 0))
}
