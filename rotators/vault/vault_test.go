package vault_test

import (
	"os"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// env is the OpenBao dev server and the built binaries, shared by the
// package's tests; empty under -short.
var env testsrv.Env

func TestMain(m *testing.M) {
	os.Exit(testsrv.Main(m, testsrv.Needs{Bao: true, Binaries: true}, &env))
}

func TestStoreConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("needs an OpenBao server")
	}
	conformance.StoreSuite(t, vaulttest.Harness(t, env.Bao.Addr, env.Bao.Token, env.BinDir))
}
