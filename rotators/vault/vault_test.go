package vault_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// server is the OpenBao dev server and the built binaries, shared by the
// package's tests; nil under -short.
var server struct {
	bao    *testsrv.Bao
	binDir string
}

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	code, err := withServer(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vault tests:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func withServer(m *testing.M) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	root, err := testsrv.RepoRoot()
	if err != nil {
		return 0, err
	}
	dir, err := os.MkdirTemp("", "vault-test-bin-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	if err := conformance.BuildBinaries(root, dir); err != nil {
		return 0, err
	}
	bao, err := testsrv.StartBao(ctx)
	if err != nil {
		return 0, err
	}
	defer bao.Stop()
	server.bao, server.binDir = bao, dir
	return m.Run(), nil
}

func TestStoreConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("needs an OpenBao server")
	}
	conformance.StoreSuite(t, vaulttest.Harness(t, server.bao.Addr, server.bao.Token, server.binDir))
}
