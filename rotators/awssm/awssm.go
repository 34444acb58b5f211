// Package awssm is the store for AWS Secrets Manager, through
// aws-sdk-go-v2/service/secretsmanager, using its native staging labels:
// AWSCURRENT is what applications read, AWSPENDING the value being rolled
// out, AWSPREVIOUS the last good one. Every read passes VersionStage.
//
// Which rotation made a version is recorded on the version itself, in one
// more staging label attached when the version is created:
// "rot/<strategy>/<base version id>/<rotation id>". A version is written with
// ClientRequestToken = a hash of the rotation id, so a re-run writes nothing
// new. Labels are per-version and immutable facts travel with the version:
// no metadata call can fall out of step with the value.
//
// Promote also labels the new CURRENT "promoted/<unix time>", since a
// version's CreatedDate is when it was staged.
//
// Stage attaches AWSPENDING with UpdateSecretVersionStage without
// RemoveFromVersionId: AWS refuses that while another version holds the
// label, which makes it the lock. moto does not enforce it, so stage also
// checks afterwards that no other version holds AWSPENDING and backs off if
// one does: of racing stages at most one proceeds, on AWS exactly one.
// Promote moves AWSCURRENT with RemoveFromVersionId = the version the value
// was staged on, so a manual change in between makes it refuse (exit 5).
package awssm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Staging labels.
const (
	labelCurrent  = "AWSCURRENT"
	labelPending  = "AWSPENDING"
	labelPrevious = "AWSPREVIOUS"
	rotPrefix     = "rot/"
	// promotedPrefix labels the version promote made CURRENT with the Unix
	// time it did so: the revoke step waits for sessions opened before it.
	promotedPrefix = "promoted/"
)

// api is the part of the Secrets Manager SDK the store uses.
type api interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	UpdateSecretVersionStage(ctx context.Context, in *secretsmanager.UpdateSecretVersionStageInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error)
}

// Store is the AWS Secrets Manager store.
type Store struct {
	sm     api
	region string
}

// Open builds a store from the AWS default credential chain (environment,
// profiles, web identity, instance roles) and AWS_REGION; AWS_ENDPOINT_URL
// points it elsewhere (tests use moto). It does not contact AWS.
func Open(ctx context.Context) (core.Store, error) {
	c, region, err := newClient(ctx)
	if err != nil {
		return nil, err
	}
	return &Store{sm: c, region: region}, nil
}

// newClient reads the AWS configuration; it does not contact AWS.
func newClient(ctx context.Context) (*secretsmanager.Client, string, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("%w: aws configuration: %v", core.ErrUsage, err)
	}
	if cfg.Region == "" {
		return nil, "", fmt.Errorf("%w: AWS_REGION is not set", core.ErrUsage)
	}
	return secretsmanager.NewFromConfig(cfg), cfg.Region, nil
}

// secretID is the name or ARN of the secret: awssm://prod/db/orders names
// "prod/db/orders"; awssm://arn:aws:secretsmanager:… is an ARN.
func secretID(ref core.Ref) string {
	if ref.Path == "" {
		return ref.Host
	}
	return ref.Host + "/" + ref.Path
}

// Describe says where PENDING is kept.
func (s *Store) Describe(ref core.Ref) string {
	where := s.region
	if ep := os.Getenv("AWS_ENDPOINT_URL"); ep != "" {
		where += " via " + ep
	}
	return fmt.Sprintf("aws secrets manager %s secret %q (PENDING = version labelled AWSPENDING)", where, secretID(ref))
}

// rotLabel records who staged a version, on what, and how.
type rotLabel struct {
	Strategy core.Strategy
	Base     string
	Rotation string
}

func (l rotLabel) String() string {
	return rotPrefix + string(l.Strategy) + "/" + l.Base + "/" + l.Rotation
}

// findRot returns the rotation label among a version's labels.
func findRot(labels []string) (rotLabel, bool) {
	for _, s := range labels {
		rest, ok := strings.CutPrefix(s, rotPrefix)
		if !ok {
			continue
		}
		parts := strings.SplitN(rest, "/", 3)
		if len(parts) == 3 {
			return rotLabel{Strategy: core.Strategy(parts[0]), Base: parts[1], Rotation: parts[2]}, true
		}
	}
	return rotLabel{}, false
}

// promotedAt returns the earliest promote time among a version's labels.
func promotedAt(labels []string) (time.Time, bool) {
	var at time.Time
	for _, s := range labels {
		rest, ok := strings.CutPrefix(s, promotedPrefix)
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(rest, 10, 64); err == nil && (at.IsZero() || time.Unix(n, 0).Before(at)) {
			at = time.Unix(n, 0)
		}
	}
	return at, !at.IsZero()
}

func has(labels []string, l string) bool {
	for _, x := range labels {
		if x == l {
			return true
		}
	}
	return false
}

// classify maps AWS errors onto the core classes.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ResourceNotFoundException":
			return fmt.Errorf("%w: %w", core.ErrNotFound, err)
		case "ResourceExistsException", "InvalidParameterException", "InvalidRequestException":
			return fmt.Errorf("%w: %w", core.ErrConflict, err)
		case "AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "InvalidClientTokenId",
			"SignatureDoesNotMatch", "DecryptionFailure", "ExpiredTokenException":
			return fmt.Errorf("%w: %w", core.ErrDenied, err)
		case "ThrottlingException", "Throttling", "InternalServiceError", "ServiceUnavailable", "RequestTimeout":
			return fmt.Errorf("%w: %w", core.ErrUnavailable, err)
		}
	}
	var he *smithyhttp.ResponseError
	if errors.As(err, &he) {
		switch code := he.HTTPStatusCode(); {
		case code == 401 || code == 403:
			return fmt.Errorf("%w: %w", core.ErrDenied, err)
		case code == 429 || code >= 500:
			// Also an API error the SDK could not name, such as a proxy's 502
			// page: the fault tests found it reported as internal (exit 1).
			return fmt.Errorf("%w: %w", core.ErrUnavailable, err)
		}
	}
	if ae != nil {
		return err
	}
	if strings.Contains(err.Error(), "credentials") {
		return fmt.Errorf("%w: no usable AWS credentials (environment, profile, web identity or role): %w", core.ErrUsage, err)
	}
	// Whatever else failed inside an operation without an API error is the
	// network: the SDK has already retried it.
	var oe *smithy.OperationError
	if errors.As(err, &oe) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", core.ErrUnavailable, err)
	}
	return err
}
