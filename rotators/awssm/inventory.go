package awssm

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/kestra-rotation/rotation-pack/rotators/inventory"
)

// inventoryWorkers bounds the ListSecretVersionIds calls in flight (AWS
// throttles them per account).
const inventoryWorkers = 4

// lister is the part of the Secrets Manager SDK the inventory uses; both
// calls are read-only and return no value.
type lister interface {
	ListSecrets(ctx context.Context, in *secretsmanager.ListSecretsInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
	ListSecretVersionIds(ctx context.Context, in *secretsmanager.ListSecretVersionIdsInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error)
}

// Inventory lists secrets with ListSecrets (100 a page, name-prefix and
// tag-key filters), then each one's versions with ListSecretVersionIds:
// the AWSCURRENT version's labels say which rotation made it
// (rot/<strategy>/<base>/<id>) and when it was promoted (promoted/<unix>);
// an AWSPENDING on another version is a PENDING left over.
type Inventory struct {
	sm lister
}

// OpenInventory connects like Open: the default credential chain and AWS_REGION.
func OpenInventory(ctx context.Context) (inventory.Lister, error) {
	c, _, err := newClient(ctx)
	if err != nil {
		return nil, err
	}
	return &Inventory{sm: c}, nil
}

// List implements inventory.Lister for awssm://<name prefix> (empty: every secret).
func (inv *Inventory) List(ctx context.Context, s inventory.Scope, fn func(inventory.Facts) error) error {
	in := &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(100)}
	if s.Prefix != "" {
		in.Filters = append(in.Filters, types.Filter{Key: types.FilterNameStringTypeName, Values: []string{s.Prefix}})
	}
	for _, k := range s.Tags.Keys() {
		in.Filters = append(in.Filters, types.Filter{Key: types.FilterNameStringTypeTagKey, Values: []string{k}})
	}
	var mu sync.Mutex
	for p := secretsmanager.NewListSecretsPaginator(inv.sm, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return classify(err)
		}
		var entries []types.SecretListEntry
		for _, e := range page.SecretList {
			// The name filter is a case-insensitive prefix match; the scope is exact.
			if strings.HasPrefix(aws.ToString(e.Name), s.Prefix) {
				entries = append(entries, e)
			}
		}
		err = inventory.ForEach(ctx, inventoryWorkers, len(entries), func(ctx context.Context, i int) error {
			f, err := inv.describe(ctx, entries[i])
			if err != nil {
				return fmt.Errorf("%s: %w", aws.ToString(entries[i].Name), err)
			}
			mu.Lock()
			defer mu.Unlock()
			return fn(f)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// describe reads one secret's versions and labels.
func (inv *Inventory) describe(ctx context.Context, e types.SecretListEntry) (inventory.Facts, error) {
	f := inventory.Facts{Secret: "awssm://" + aws.ToString(e.Name), Created: aws.ToTime(e.CreatedDate), Tags: map[string]string{}}
	for _, t := range e.Tags {
		f.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	p := secretsmanager.NewListSecretVersionIdsPaginator(inv.sm, &secretsmanager.ListSecretVersionIdsInput{SecretId: e.ARN})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return inventory.Facts{}, classify(err)
		}
		for _, v := range page.Versions {
			f.Versions++
			addVersion(&f, v)
		}
	}
	// CURRENT is the secret's only version besides a PENDING: it was
	// written with the secret, or later. The earlier time is kept, which
	// errs towards overdue (and is exact on moto, whose ListSecretVersionIds
	// reports the time of the call as every version's CreatedDate).
	if only := f.Versions == 1 || f.Versions == 2 && f.Pending; only && f.LastRotated.IsZero() && f.Created.Before(f.CurrentSince) {
		f.CurrentSince = f.Created
	}
	return f, nil
}

// addVersion records what a version's labels say: CURRENT's rotation and
// promotion, or a PENDING that is not (also) CURRENT.
func addVersion(f *inventory.Facts, v types.SecretVersionsListEntry) {
	created := aws.ToTime(v.CreatedDate)
	rot, hasRot := findRot(v.VersionStages)
	switch {
	case has(v.VersionStages, labelCurrent):
		f.CurrentVersion, f.CurrentSince = aws.ToString(v.VersionId), created
		if at, ok := promotedAt(v.VersionStages); ok && hasRot {
			f.CurrentSince, f.LastRotated, f.Rotation, f.Strategy = at, at, rot.Rotation, string(rot.Strategy)
		}
	case has(v.VersionStages, labelPending):
		f.Pending, f.PendingSince = true, created
		if hasRot {
			f.PendingRot = rot.Rotation
		}
	}
}
