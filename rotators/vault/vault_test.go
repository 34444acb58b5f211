package vault_test

import (
	"os"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// env is the OpenBao dev server, the built binaries and a Kubernetes
// control plane (whose TokenReview the kubernetes login uses), shared by
// the package's tests; empty under -short.
var env testsrv.Env

func TestMain(m *testing.M) {
	os.Exit(testsrv.Main(m, testsrv.Needs{Bao: true, Binaries: true, Kube: true}, &env))
}

func TestStoreConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("needs an OpenBao server")
	}
	conformance.StoreSuite(t, vaulttest.Harness(t, env.Bao.Addr, env.Bao.Token, env.BinDir))
}
