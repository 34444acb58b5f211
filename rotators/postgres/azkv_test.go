package postgres_test

import (
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/azkv/azkvtest"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// TestTargetConformanceAzKV rotates PostgreSQL roles whose credentials
// live in Azure Key Vault (the in-repo test double, over HTTPS).
func TestTargetConformanceAzKV(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL and the Key Vault test double")
	}
	c := azkvtest.Client(t, env.AzKV)
	h := harnessWith(t, azkvtest.Harness(t, env.AzKV, env.BinDir),
		func(t testing.TB, name string, v core.Value) core.Ref { return azkvtest.Put(t, c, secretID(name), v) })
	conformance.TargetSuite(t, h)
}

// secretID turns a path-like test name (rotation-admin/pg-x) into a name
// Key Vault and Secret Manager accept (letters, digits, dashes).
func secretID(name string) string {
	return strings.NewReplacer("/", "-", "_", "-").Replace(name)
}
