package testsrv

import (
	"context"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/gcpsmdouble"
)

// GCPSM is the GCP Secret Manager TEST DOUBLE (Google ships no emulator):
// an in-memory gRPC server in this process, see package gcpsmdouble. The
// binaries reach it with GCPSM_ENDPOINT=<Addr> (loopback: no TLS, no
// credentials).
type GCPSM struct {
	Addr string // host:port on 127.0.0.1

	srv *gcpsmdouble.TestDoubleServer
}

// StartGCPSM starts the test double on a free loopback port.
func StartGCPSM(ctx context.Context) (*GCPSM, error) {
	srv, err := gcpsmdouble.StartTestDouble(ctx)
	if err != nil {
		return nil, err
	}
	return &GCPSM{Addr: srv.Addr, srv: srv}, nil
}

// Stop stops the server; safe on nil and more than once.
func (g *GCPSM) Stop() {
	if g != nil {
		g.srv.Stop()
	}
}
