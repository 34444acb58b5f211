package awsiam

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Check signs sts:GetCallerIdentity with the key and checks that the ARN is
// the user's. A key IAM created less than the consistency wait ago may not
// work yet, so a rejection of such a key is retried within that bound; an
// old or deleted key is refused at once. It changes nothing.
func (t *Target) Check(ctx context.Context, creds core.Value) error {
	user, keyID, secret, err := fields(creds)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(t.wait)
	for delay := 250 * time.Millisecond; ; delay = min(2*delay, 4*time.Second) {
		arn, err := t.caller(ctx, keyID, secret)
		if err == nil {
			if !strings.Contains(arn, ":user/") || !strings.HasSuffix(arn, "/"+user) {
				return fmt.Errorf("%w: key %s belongs to %s, not to user %q", core.ErrUsage, keyID, arn, user)
			}
			return nil
		}
		err = classify(err)
		if !errors.Is(err, core.ErrRejected) || time.Now().Add(delay).After(deadline) || !t.young(ctx, user, keyID) {
			return fmt.Errorf("sts:GetCallerIdentity with key %s: %w", keyID, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", core.ErrUnavailable, ctx.Err())
		case <-time.After(delay):
		}
	}
}

// young reports whether the key exists and was created within the
// consistency wait: only such a key may still become valid.
func (t *Target) young(ctx context.Context, user, keyID string) bool {
	keys, err := t.keys(ctx, user)
	if err != nil {
		return false
	}
	for _, k := range keys {
		if k.ID == keyID {
			return time.Since(k.Created) < t.wait
		}
	}
	return false
}

// accessKey is one of a user's access keys (never its secret).
type accessKey struct {
	ID      string
	Created time.Time
	Active  bool
}

func (t *Target) keys(ctx context.Context, user string) ([]accessKey, error) {
	out, err := t.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		return nil, fmt.Errorf("list access keys of %q: %w", user, classify(err))
	}
	keys := make([]accessKey, 0, len(out.AccessKeyMetadata))
	for _, m := range out.AccessKeyMetadata {
		keys = append(keys, accessKey{ID: aws.ToString(m.AccessKeyId), Created: aws.ToTime(m.CreateDate), Active: m.Status == "Active"})
	}
	return keys, nil
}
