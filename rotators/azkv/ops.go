package azkv

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Tag keys: on a version of the secret they describe that version; on a
// version of the sibling they make it a PENDING candidate.
const (
	tagRotation  = "rotation_id"
	tagStrategy  = "rotation_strategy"
	tagRotatedAt = "rotated_at"
	tagPrevious  = "previous_version"
	tagBase      = "base_version"
	tagStagedAt  = "staged_at"
	contentType  = "application/json"
)

func tag(tags map[string]*string, k string) string {
	if v := tags[k]; v != nil {
		return *v
	}
	return ""
}

func ptr[T any](v T) *T { return &v }

// open parses ref and returns its target and the vault's client.
func (s *Store) open(ref core.Ref) (target, kv, error) {
	t, err := s.parse(ref)
	if err != nil {
		return target{}, nil, err
	}
	c, err := s.client(t.vaultURL)
	return t, c, err
}

// fromSecret converts a read version.
func fromSecret(sec azsecrets.Secret) (core.Version, error) {
	if sec.Value == nil || sec.ID == nil {
		return core.Version{}, fmt.Errorf("%w: version has no value", core.ErrNotFound)
	}
	val, err := core.ParseValue([]byte(*sec.Value))
	if err != nil {
		return core.Version{}, err
	}
	v := core.Version{Value: val, ID: sec.ID.Version(), Rotation: tag(sec.Tags, tagRotation),
		Strategy: core.Strategy(tag(sec.Tags, tagStrategy)), Base: tag(sec.Tags, tagBase)}
	if sec.Attributes != nil && sec.Attributes.Created != nil {
		v.Created = *sec.Attributes.Created
	}
	return v, nil
}

func (s *Store) read(ctx context.Context, c kv, name, version string) (core.Version, error) {
	r, err := c.GetSecret(ctx, name, version, nil)
	if err != nil {
		return core.Version{}, classify(err)
	}
	return fromSecret(r.Secret)
}

// Get reads a stage. Re-running it changes nothing.
func (s *Store) Get(ctx context.Context, ref core.Ref, stage core.Stage) (core.Version, error) {
	t, c, err := s.open(ref)
	if err != nil {
		return core.Version{}, err
	}
	switch stage {
	case core.Pending:
		return s.pending(ctx, c, t)
	case core.Current:
		return s.read(ctx, c, t.name, "")
	}
	r, err := c.GetSecret(ctx, t.name, "", nil)
	if err != nil {
		return core.Version{}, classify(err)
	}
	prev := tag(r.Tags, tagPrevious)
	if prev == "" {
		if prev, err = s.olderVersion(ctx, c, t.name, r.Secret); err != nil {
			return core.Version{}, err
		}
	}
	v, err := s.read(ctx, c, t.name, prev)
	v.Strategy, v.Base = "", ""
	return v, err
}

// olderVersion is the newest version created before cur (by created time;
// versions written in the same second as cur are ambiguous and skipped).
func (s *Store) olderVersion(ctx context.Context, c kv, name string, cur azsecrets.Secret) (string, error) {
	all, err := s.versions(ctx, c, name)
	if err != nil {
		return "", err
	}
	best := ""
	var bestAt time.Time
	for _, p := range all {
		if p.ID == nil || p.ID.Version() == cur.ID.Version() || p.Attributes == nil || p.Attributes.Created == nil {
			continue
		}
		if at := *p.Attributes.Created; at.Before(*cur.Attributes.Created) && (best == "" || at.After(bestAt)) {
			best, bestAt = p.ID.Version(), at
		}
	}
	if best == "" {
		return "", fmt.Errorf("%w: %s has no version before %s", core.ErrNotFound, name, cur.ID.Version())
	}
	return best, nil
}

// versions lists the properties of every version of a secret.
func (s *Store) versions(ctx context.Context, c kv, name string) ([]*azsecrets.SecretProperties, error) {
	var out []*azsecrets.SecretProperties
	for pager := c.NewListSecretPropertiesVersionsPager(name, nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, classify(err)
		}
		out = append(out, page.Value...)
	}
	return out, nil
}

// candidate is a live version of the sibling.
type candidate struct {
	id       string
	created  time.Time
	rotation string
}

// candidates lists the sibling's live versions (enabled, with a rotation
// tag), oldest first (created, then id): the first is PENDING.
func (s *Store) candidates(ctx context.Context, c kv, t target) ([]candidate, error) {
	all, err := s.versions(ctx, c, t.pending)
	if err != nil {
		return nil, err
	}
	var out []candidate
	for _, p := range all {
		a := p.Attributes
		if p.ID == nil || a == nil || a.Enabled == nil || !*a.Enabled || a.Created == nil || tag(p.Tags, tagRotation) == "" {
			continue
		}
		out = append(out, candidate{id: p.ID.Version(), created: *a.Created, rotation: tag(p.Tags, tagRotation)})
	}
	slices.SortFunc(out, func(a, b candidate) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	return out, nil
}

// pending reads PENDING: the oldest live version of the sibling.
func (s *Store) pending(ctx context.Context, c kv, t target) (core.Version, error) {
	cands, err := s.candidates(ctx, c, t)
	if err != nil {
		return core.Version{}, err
	}
	if len(cands) == 0 {
		return core.Version{}, fmt.Errorf("%w: no PENDING in %s", core.ErrNotFound, t.pending)
	}
	return s.read(ctx, c, t.pending, cands[0].id)
}
