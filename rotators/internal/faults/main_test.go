package faults

import (
	"os"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

// env holds the servers and binaries shared by the package's tests.
var env testsrv.Env

func TestMain(m *testing.M) {
	os.Exit(testsrv.Main(m, testsrv.Needs{Bao: true, Postgres: true, Moto: true, MariaDB: true, Redis: true,
		GCPSM: true, AzKV: true, Binaries: true}, &env))
}
