package testsrv

import (
	"context"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/azkvdouble"
)

// AzKV is the Azure Key Vault TEST DOUBLE, an HTTPS server in this process
// with its own CA and managed-identity token endpoint (see package
// azkvdouble). It stands in for Lowkey Vault, whose jar the package
// registry does not serve.
type AzKV = azkvdouble.TestDoubleServer

// StartAzKV starts the test double on free loopback ports.
func StartAzKV(ctx context.Context) (*AzKV, error) { return azkvdouble.StartTestDouble(ctx) }
