package postgres_test

import (
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm/gcpsmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// TestTargetConformanceGCPSM rotates PostgreSQL roles whose credentials
// live in GCP Secret Manager (the in-repo test double, over gRPC).
func TestTargetConformanceGCPSM(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL and the Secret Manager test double")
	}
	c := gcpsmtest.Client(t, env.GCPSM.Addr)
	h := harnessWith(t, gcpsmtest.Harness(t, env.GCPSM.Addr, env.BinDir),
		func(t testing.TB, name string, v core.Value) core.Ref { return gcpsmtest.Put(t, c, secretID(name), v) })
	conformance.TargetSuite(t, h)
}
