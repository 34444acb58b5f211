// Package gcpsmdouble is a TEST DOUBLE of Google Cloud Secret Manager: an
// in-memory gRPC server that registers the official generated interface
// (secretmanagerpb.SecretManagerServiceServer), so that the real Go client
// (cloud.google.com/go/secretmanager/apiv1) talks real gRPC to it. Google
// ships no emulator for Secret Manager, so the gcpsm store is tested
// against this double; it is not a product component and must never be
// mistaken for GCP.
//
// It implements only the calls the gcpsm store makes (plus enable, disable
// and delete, to pin the semantics the store relies on), written from
// GCP's documented semantics:
//   - version numbers 1, 2, 3, … are never reused; states ENABLED, DISABLED
//     (unreadable, restorable) and DESTROYED (final, data gone);
//   - "latest" is the highest version number whatever its state, so
//     disabling or destroying the newest version makes "latest" unreadable
//     (FAILED_PRECONDITION) instead of rolling back;
//   - etags on Secret and SecretVersion, checked when given on UpdateSecret,
//     DeleteSecret and version enable/disable/destroy: a mismatch is
//     FAILED_PRECONDITION; AddSecretVersion takes no etag;
//   - version_aliases: at most 50, names start with a letter, not "latest"
//     or "NEW", pointing at existing versions, resolvable in
//     GetSecretVersion and AccessSecretVersion;
//   - data_crc32c (Castagnoli) verified on AddSecretVersion when given
//     (INVALID_ARGUMENT on mismatch) and always returned on access;
//   - ListSecrets and ListSecretVersions (newest first) paged with
//     page_size (0: DefaultPageSize, capped at MaxPageSize) and
//     next_page_token; list filters are refused, not ignored;
//   - NOT_FOUND, ALREADY_EXISTS and INVALID_ARGUMENT as the API documents.
//
// Resource names keep the project as the caller wrote it (GCP answers with
// the project number; clients must not depend on either).
package gcpsmdouble

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/grpc"
)

// TestDouble is the in-memory Secret Manager test double.
type TestDouble struct {
	secretmanagerpb.UnimplementedSecretManagerServiceServer

	mu      sync.Mutex
	secrets map[string]*secretState // by full name projects/P/secrets/S
	etagSeq int64
	now     func() time.Time
}

// secretState is one secret and its versions (index = number - 1).
type secretState struct {
	meta     *secretmanagerpb.Secret
	versions []*versionState
}

type versionState struct {
	meta *secretmanagerpb.SecretVersion
	data []byte
	crc  int64
}

// NewTestDouble returns an empty test double.
func NewTestDouble() *TestDouble {
	return &TestDouble{secrets: map[string]*secretState{}, now: time.Now}
}

// TestDoubleServer is a test double serving gRPC on a loopback port.
type TestDoubleServer struct {
	Addr   string // host:port to dial, without TLS
	Double *TestDouble
	srv    *grpc.Server
	once   sync.Once
}

// StartTestDouble serves a new test double on a free 127.0.0.1 port until Stop.
func StartTestDouble(ctx context.Context) (*TestDoubleServer, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("gcpsm test double: listen: %w", err)
	}
	d := NewTestDouble()
	srv := grpc.NewServer()
	secretmanagerpb.RegisterSecretManagerServiceServer(srv, d)
	go func() { _ = srv.Serve(l) }() // returns when Stop closes the listener
	return &TestDoubleServer{Addr: l.Addr().String(), Double: d, srv: srv}, nil
}

// Stop stops the server; safe to call more than once and on nil.
func (s *TestDoubleServer) Stop() {
	if s == nil {
		return
	}
	s.once.Do(s.srv.Stop)
}

// nextEtag returns a fresh quoted etag, as GCP writes them. Callers hold mu.
func (d *TestDouble) nextEtag() string {
	d.etagSeq++
	return fmt.Sprintf("%q", fmt.Sprintf("%016x", d.now().UnixNano()+d.etagSeq))
}
