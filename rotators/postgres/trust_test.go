package postgres_test

import (
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// TestAdminTrust: the admin credential reaches only the server its own
// secret names (docs/security.md).
func TestAdminTrust(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs PostgreSQL and OpenBao")
	}
	conformance.AdminTrustSuite(t, harness(t), "postgres")
}
