// Package awsiam is the target for IAM user access keys, through
// aws-sdk-go-v2/service/iam and sts. IAM mints the credential, so the steps
// differ from a database's: awsiam-deploy creates the new key and stages it
// in the store through the store's own "-stage --stdin" helper; awsiam-revoke
// deactivates the previous key and deletes it once it has been unused for
// the grace period; awsiam-validate signs sts:GetCallerIdentity with a key.
//
// The secret is JSON {"username": IAM user, "access_key_id", "secret_access_key"}
// (other fields are kept). IAM allows two keys per user; deploy deletes an
// Inactive key that is neither the store's CURRENT nor PREVIOUS to make room,
// and otherwise refuses (exit 5) naming the key in the way.
package awsiam

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

// Secret fields.
const (
	fieldUser   = "username"
	fieldKeyID  = "access_key_id"
	fieldSecret = "secret_access_key"
)

// EnvConsistencyWait names the variable that bounds how long validate keeps
// retrying a key IAM created moments ago (new keys take seconds to work).
const EnvConsistencyWait = "AWSIAM_CONSISTENCY_WAIT"

const defaultConsistencyWait = 20 * time.Second

// iamAPI is the part of the IAM SDK the target uses.
type iamAPI interface {
	ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	CreateAccessKey(context.Context, *iam.CreateAccessKeyInput, ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error)
	UpdateAccessKey(context.Context, *iam.UpdateAccessKeyInput, ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error)
	DeleteAccessKey(context.Context, *iam.DeleteAccessKeyInput, ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error)
	GetAccessKeyLastUsed(context.Context, *iam.GetAccessKeyLastUsedInput, ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
	TagUser(context.Context, *iam.TagUserInput, ...func(*iam.Options)) (*iam.TagUserOutput, error)
	UntagUser(context.Context, *iam.UntagUserInput, ...func(*iam.Options)) (*iam.UntagUserOutput, error)
	ListUserTags(context.Context, *iam.ListUserTagsInput, ...func(*iam.Options)) (*iam.ListUserTagsOutput, error)
}

// callerAPI signs sts:GetCallerIdentity with one key.
type callerAPI func(ctx context.Context, keyID, secret string) (arn string, err error)

// Target is the IAM access-key target.
type Target struct {
	iam    iamAPI
	caller callerAPI
	wait   time.Duration
}

// Open builds the target from the AWS default credential chain and
// AWS_REGION (AWS_ENDPOINT_URL for tests). It does not contact AWS.
func Open(ctx context.Context) (*Target, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: aws configuration: %v", core.ErrUsage, err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("%w: AWS_REGION is not set", core.ErrUsage)
	}
	wait := defaultConsistencyWait
	if s := os.Getenv(EnvConsistencyWait); s != "" {
		if wait, err = time.ParseDuration(s); err != nil || wait < 0 {
			return nil, fmt.Errorf("%w: %s=%q: want a duration", core.ErrUsage, EnvConsistencyWait, s)
		}
	}
	caller := func(ctx context.Context, keyID, secret string) (string, error) {
		c := cfg.Copy()
		c.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(keyID, secret, ""))
		out, err := sts.NewFromConfig(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.Arn), nil
	}
	return &Target{iam: iam.NewFromConfig(cfg), caller: caller, wait: wait}, nil
}

// Spec is the IAM target for the generic awsiam-validate. Deploy and
// revoke are commands of its own (Deploy, Revoke): IAM mints the keys, so
// Target is a core.Target and nothing more.
func Spec() step.TargetSpec[*Target] {
	return step.TargetSpec[*Target]{Name: "awsiam", Open: func(ctx context.Context, _ step.Flags) (*Target, error) { return Open(ctx) }}
}

// Describe names the user and key, never the secret.
func (t *Target) Describe(creds core.Value) string {
	user, _ := creds.String(fieldUser)
	key, _ := creds.String(fieldKeyID)
	return fmt.Sprintf("iam user %q key %s", user, key)
}

func fields(creds core.Value) (user, keyID, secret string, err error) {
	user, _ = creds.String(fieldUser)
	keyID, _ = creds.String(fieldKeyID)
	secret, _ = creds.String(fieldSecret)
	if user == "" || keyID == "" || secret == "" {
		return "", "", "", fmt.Errorf("%w: the secret needs %s, %s and %s fields", core.ErrUsage, fieldUser, fieldKeyID, fieldSecret)
	}
	return user, keyID, secret, nil
}

// classify maps AWS errors onto the core classes.
func classify(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchEntity":
			return fmt.Errorf("%w: %w", core.ErrNotFound, err)
		case "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException":
			return fmt.Errorf("%w: %w", core.ErrRejected, err)
		case "AccessDenied", "AccessDeniedException", "ExpiredToken":
			return fmt.Errorf("%w: %w", core.ErrDenied, err)
		case "LimitExceeded", "EntityAlreadyExists", "ConcurrentModification":
			return fmt.Errorf("%w: %w", core.ErrConflict, err)
		case "Throttling", "ThrottlingException", "ServiceFailure", "ServiceUnavailable":
			return fmt.Errorf("%w: %w", core.ErrUnavailable, err)
		}
		return err
	}
	var he *smithyhttp.ResponseError
	if errors.As(err, &he) && (he.HTTPStatusCode() == 429 || he.HTTPStatusCode() >= 500) {
		return fmt.Errorf("%w: %w", core.ErrUnavailable, err)
	}
	if strings.Contains(err.Error(), "credentials") {
		return fmt.Errorf("%w: no usable AWS credentials: %w", core.ErrUsage, err)
	}
	var oe *smithy.OperationError
	if errors.As(err, &oe) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", core.ErrUnavailable, err)
	}
	return err
}
