package awssm_test

import (
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm/awssmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// TestInventory lists 300 secrets (ListSecrets pages of 100) in mixed
// states, as an IAM user holding only the documented policy.
func TestInventory(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a moto server")
	}
	conformance.InventorySuite(t, awssmtest.InventoryHarness(t, env.Moto, env.BinDir, 300))
}

// TestInventoryTagFilter: --tag goes to ListSecrets as a tag-key filter and
// the values are checked exactly.
func TestInventoryTagFilter(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a moto server")
	}
	conformance.InventoryTagSuite(t, awssmtest.InventoryHarness(t, env.Moto, env.BinDir, 0))
}
