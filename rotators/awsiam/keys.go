package awsiam

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// maxKeys is IAM's limit of access keys per user.
const maxKeys = 2

// tagKey is the user tag that says which key a rotation's deploy minted:
// "<rotation id> <unix seconds when it started> [<key id>]". It lets a re-run
// or an undo find a key whose secret was lost when a deploy was killed
// between creating the key and staging it.
const tagKey = "rotation-pack/deploy"

type deployTag struct {
	Rotation string
	Start    time.Time
	KeyID    string
}

func (d deployTag) String() string {
	s := d.Rotation + " " + strconv.FormatInt(d.Start.Unix(), 10)
	if d.KeyID != "" {
		s += " " + d.KeyID
	}
	return s
}

func parseTag(s string) (deployTag, bool) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return deployTag{}, false
	}
	sec, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return deployTag{}, false
	}
	d := deployTag{Rotation: f[0], Start: time.Unix(sec, 0)}
	if len(f) > 2 {
		d.KeyID = f[2]
	}
	return d, true
}

// minted reports whether key k was minted by the deploy the tag describes.
func (d deployTag) minted(k accessKey) bool {
	if d.KeyID != "" {
		return k.ID == d.KeyID
	}
	return !k.Created.Before(d.Start.Add(-time.Second))
}

// roomPlan decides which keys deploy deletes before creating a new one:
// keys this rotation minted but never staged (their secret is lost), then,
// at IAM's limit, an Inactive key that is neither CURRENT nor PREVIOUS. An
// Active unknown key, or CURRENT and PREVIOUS both present, is refused with
// ErrConflict naming the key.
func roomPlan(keys []accessKey, known map[string]bool, tag deployTag, rotation string) ([]string, error) {
	var del []string
	var rest []accessKey
	for _, k := range keys {
		if !known[k.ID] && tag.Rotation == rotation && tag.minted(k) {
			del = append(del, k.ID)
		} else {
			rest = append(rest, k)
		}
	}
	for len(rest) >= maxKeys {
		i := slices.IndexFunc(rest, func(k accessKey) bool { return !known[k.ID] && !k.Active })
		if i < 0 {
			break
		}
		del = append(del, rest[i].ID)
		rest = slices.Delete(rest, i, i+1)
	}
	if len(rest) < maxKeys {
		return del, nil
	}
	ids := make([]string, 0, len(rest))
	for _, k := range rest {
		if !known[k.ID] {
			return nil, fmt.Errorf("%w: access key %s is Active and is neither CURRENT nor PREVIOUS of the secret; IAM allows %d keys per user, so it blocks a new one (deactivate it if it is unused)", core.ErrConflict, k.ID, maxKeys)
		}
		ids = append(ids, k.ID)
	}
	return nil, fmt.Errorf("%w: the user already has its CURRENT and PREVIOUS keys (%s); run awsiam-revoke for the last rotation first", core.ErrConflict, strings.Join(ids, ", "))
}

func (t *Target) readTag(ctx context.Context, user string) (deployTag, error) {
	out, err := t.iam.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String(user)})
	if err != nil {
		return deployTag{}, fmt.Errorf("read tags of %q: %w", user, classify(err))
	}
	for _, tg := range out.Tags {
		if aws.ToString(tg.Key) == tagKey {
			d, _ := parseTag(aws.ToString(tg.Value))
			return d, nil
		}
	}
	return deployTag{}, nil
}

func (t *Target) writeTag(ctx context.Context, user string, d deployTag) error {
	_, err := t.iam.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(user),
		Tags: []types.Tag{{Key: aws.String(tagKey), Value: aws.String(d.String())}}})
	if err != nil {
		return fmt.Errorf("tag user %q: %w", user, classify(err))
	}
	return nil
}

func (t *Target) clearTag(ctx context.Context, user string) error {
	_, err := t.iam.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(user), TagKeys: []string{tagKey}})
	if err != nil {
		return fmt.Errorf("untag user %q: %w", user, classify(err))
	}
	return nil
}

func (t *Target) deleteKey(ctx context.Context, user, id string) error {
	_, err := t.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(id)})
	if err != nil {
		return fmt.Errorf("delete access key %s: %w", id, classify(err))
	}
	return nil
}

func (t *Target) setStatus(ctx context.Context, user, id string, active bool) error {
	status := types.StatusTypeInactive
	if active {
		status = types.StatusTypeActive
	}
	_, err := t.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(id), Status: status})
	if err != nil {
		return fmt.Errorf("set access key %s %s: %w", id, status, classify(err))
	}
	return nil
}
