// Package gcpsm is the store for Google Cloud Secret Manager, through
// cloud.google.com/go/secretmanager/apiv1 and Application Default
// Credentials.
//
// Layout of a secret gcpsm://<project>/<secret>:
//   - CURRENT is the latest version of projects/<project>/secrets/<secret>:
//     what applications read as versions/latest.
//   - PREVIOUS is the version CURRENT was staged on (annotation
//     previous_version, also the version alias "previous") while the
//     rotation facts describe CURRENT, otherwise the version number below
//     the latest.
//   - PENDING lives in a sibling secret, <secret>-pending (always that name:
//     core.PendingSibling), never in the secret itself: a new version there
//     would become "latest" at once, and disabling or destroying it again
//     would break every reader (the latest trap). The sibling is created
//     on first use with the replication of the secret; grant readers the
//     secret only, and the rotation identity both. A stage adds the value as
//     a version of the sibling, then claims the sibling by writing its
//     annotations (rotation_id, strategy, base_version, staged_at,
//     pending_version) and alias "pending" in one UpdateSecret with the etag
//     it read: of two racing stages exactly one claim succeeds, the loser
//     destroys its version. Promote and rollback release the claim (etag
//     again) and destroy the PENDING version.
//   - Rotation facts of CURRENT go in the secret's annotations:
//     rotation_id, rotation_version, rotation_strategy, rotated_at,
//     previous_rotation_id, previous_version. They describe CURRENT only
//     while rotation_version is the latest version number, so a manual
//     AddSecretVersion is never mistaken for a rotation.
//
// GCP has no check-and-set on AddSecretVersion: promote checks that the
// latest version is still the one PENDING was staged on right before it
// adds the new version. A version added by someone else between that check
// and the add (milliseconds) is not detected; the rotation facts then name
// the version promote wrote. Rollback never disables or destroys a version
// of the secret itself.
package gcpsm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// EndpointEnv names the variable that overrides the Secret Manager endpoint
// (host:port). A loopback endpoint is dialled without TLS or credentials,
// for the test double; any other endpoint uses TLS and ADC.
const EndpointEnv = "GCPSM_ENDPOINT"

// PendingSuffix is appended to the secret id to name the PENDING sibling.
const PendingSuffix = core.SiblingSuffix

// api is the part of the Secret Manager client the store uses.
type api interface {
	GetSecret(ctx context.Context, req *secretmanagerpb.GetSecretRequest, opts ...gax.CallOption) (*secretmanagerpb.Secret, error)
	CreateSecret(ctx context.Context, req *secretmanagerpb.CreateSecretRequest, opts ...gax.CallOption) (*secretmanagerpb.Secret, error)
	UpdateSecret(ctx context.Context, req *secretmanagerpb.UpdateSecretRequest, opts ...gax.CallOption) (*secretmanagerpb.Secret, error)
	AddSecretVersion(ctx context.Context, req *secretmanagerpb.AddSecretVersionRequest, opts ...gax.CallOption) (*secretmanagerpb.SecretVersion, error)
	GetSecretVersion(ctx context.Context, req *secretmanagerpb.GetSecretVersionRequest, opts ...gax.CallOption) (*secretmanagerpb.SecretVersion, error)
	AccessSecretVersion(ctx context.Context, req *secretmanagerpb.AccessSecretVersionRequest, opts ...gax.CallOption) (*secretmanagerpb.AccessSecretVersionResponse, error)
	DestroySecretVersion(ctx context.Context, req *secretmanagerpb.DestroySecretVersionRequest, opts ...gax.CallOption) (*secretmanagerpb.SecretVersion, error)
}

// Store is the GCP Secret Manager store.
type Store struct {
	c        api
	endpoint string
}

// Open builds a store with Application Default Credentials, or for a
// loopback GCPSM_ENDPOINT without TLS and credentials. It does not call
// the API.
func Open(ctx context.Context) (core.Store, error) {
	c, endpoint, err := newClient(ctx)
	if err != nil {
		return nil, err
	}
	return &Store{c: c, endpoint: endpoint}, nil
}

// newClient builds the client for GCPSM_ENDPOINT or the default endpoint;
// it does not call the API.
func newClient(ctx context.Context) (*secretmanager.Client, string, error) {
	opts, endpoint, err := clientOptions(os.Getenv(EndpointEnv))
	if err != nil {
		return nil, "", err
	}
	c, err := secretmanager.NewClient(ctx, opts...)
	if err != nil {
		return nil, "", fmt.Errorf("%w: secret manager client (Application Default Credentials): %v", core.ErrUsage, err)
	}
	return c, endpoint, nil
}

// clientOptions returns the client options for an endpoint override.
func clientOptions(endpoint string) ([]option.ClientOption, string, error) {
	if endpoint == "" {
		return nil, "secretmanager.googleapis.com", nil
	}
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s=%q: want host:port", core.ErrUsage, EndpointEnv, endpoint)
	}
	if !core.IsLoopback(host) {
		return []option.ClientOption{option.WithEndpoint(endpoint)}, endpoint, nil
	}
	return []option.ClientOption{option.WithEndpoint(endpoint), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials()))}, endpoint + " (loopback, no TLS)", nil
}

// Name rules: project ids of up to 63 characters, secret ids of up to 255.
// The lengths are checked apart: counted repetitions ({0,62}) compile into
// thousands of instructions, about 1 ms at every start of every command
// of the multi-call binary (GODEBUG=inittrace=1).
var (
	projectPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	secretPattern  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

const (
	maxProjectLen = 63
	maxSecretLen  = 255
)

func validID(s string) bool { return len(s) <= maxSecretLen && secretPattern.MatchString(s) }

// names are the resource names of a reference.
type names struct {
	project, secret, pending string // full resource names
}

func parse(ref core.Ref) (names, error) {
	id := ref.Path
	sib, err := core.PendingSibling(ref)
	if err != nil {
		return names{}, err
	}
	if len(ref.Host) > maxProjectLen || !projectPattern.MatchString(ref.Host) || !validID(id) || !validID(sib) {
		return names{}, fmt.Errorf("%w: %s: want gcpsm://<project>/<secret-id> (letters, digits, - and _; up to %d with %s)", core.ErrUsage, ref, maxSecretLen, PendingSuffix)
	}
	p := "projects/" + ref.Host
	return names{project: p, secret: p + "/secrets/" + id, pending: p + "/secrets/" + sib}, nil
}

// Describe says where PENDING is kept.
func (s *Store) Describe(ref core.Ref) string {
	n, err := parse(ref)
	if err != nil {
		return ref.String()
	}
	return fmt.Sprintf("gcp secret manager %s %s (PENDING in %s)", s.endpoint, n.secret, n.pending)
}

// classify maps gRPC status codes onto the core error classes.
func classify(err error) error {
	if err == nil {
		return nil
	}
	switch status.Code(err) {
	case codes.NotFound:
		return fmt.Errorf("%w: %w", core.ErrNotFound, err)
	case codes.PermissionDenied, codes.Unauthenticated:
		return fmt.Errorf("%w: %w", core.ErrDenied, err)
	case codes.FailedPrecondition, codes.AlreadyExists, codes.Aborted:
		return fmt.Errorf("%w: %w", core.ErrConflict, err)
	case codes.InvalidArgument, codes.OutOfRange:
		return fmt.Errorf("%w: %w", core.ErrUsage, err)
	case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded, codes.Internal, codes.Canceled:
		return fmt.Errorf("%w: %w", core.ErrUnavailable, err)
	}
	return err
}

func isCode(err error, c codes.Code) bool { return status.Code(err) == c }

func isNotFound(err error) bool { return errors.Is(err, core.ErrNotFound) }
