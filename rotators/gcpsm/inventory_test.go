package gcpsm_test

import (
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm/gcpsmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// TestInventory lists 300 secrets (ListSecrets pages of 100, their PENDING
// siblings folded in) in mixed states.
func TestInventory(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the Secret Manager test double and the binaries")
	}
	conformance.InventorySuite(t, gcpsmtest.InventoryHarness(t, env.GCPSM.Addr, env.BinDir, 300))
}

// TestInventoryTagFilter: --tag matches the secrets' labels.
func TestInventoryTagFilter(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the Secret Manager test double and the binaries")
	}
	conformance.InventoryTagSuite(t, gcpsmtest.InventoryHarness(t, env.GCPSM.Addr, env.BinDir, 0))
}
