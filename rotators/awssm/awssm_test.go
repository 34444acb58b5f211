package awssm_test

import (
	"os"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm/awssmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

// env is the moto server and the built binaries, shared by the package's tests.
var env testsrv.Env

func TestMain(m *testing.M) {
	os.Exit(testsrv.Main(m, testsrv.Needs{Moto: true, Binaries: true}, &env))
}

func TestStoreConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a moto server")
	}
	conformance.StoreSuite(t, awssmtest.Harness(t, env.Moto, env.BinDir))
}
