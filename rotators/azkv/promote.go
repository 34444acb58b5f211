package azkv

import (
	"context"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Promote writes PENDING's value as the new latest version if the latest
// is still the version it was staged on, with the rotation facts as tags
// of that version (and the expiry of ?expires), then disables the live
// versions of the sibling. Resumable: after a crash the latest version
// already carries this rotation's id and PENDING's value.
func (s *Store) Promote(ctx context.Context, ref core.Ref, rotation string) (core.Version, bool, error) {
	t, c, err := s.open(ref)
	if err != nil {
		return core.Version{}, false, err
	}
	pend, err := s.pending(ctx, c, t)
	if isNotFound(err) {
		// A racing promote of the same rotation may have finished first.
		if cur, cerr := s.read(ctx, c, t.name, ""); cerr == nil && cur.Rotation == rotation {
			return cur, false, nil
		}
	}
	if err != nil {
		return core.Version{}, false, err
	}
	if pend.Rotation != rotation {
		return core.Version{}, false, fmt.Errorf("%w: PENDING belongs to rotation %s", core.ErrConflict, pend.Rotation)
	}
	cur, err := s.read(ctx, c, t.name, "")
	if err != nil {
		return core.Version{}, false, err
	}
	switch {
	case cur.ID == pend.Base:
		if err := s.write(ctx, c, t, pend); err != nil {
			return core.Version{}, false, err
		}
	case cur.Rotation == rotation && cur.Value.Equal(pend.Value):
		// An earlier promote wrote the value and stopped before finishing.
	default:
		return core.Version{}, false, fmt.Errorf("%w: %s changed since it was staged (latest version %s, staged on %s); roll back and rotate again", core.ErrConflict, ref, cur.ID, pend.Base)
	}
	if err := s.release(ctx, c, t); err != nil {
		return core.Version{}, false, err
	}
	v, err := s.read(ctx, c, t.name, "")
	return v, true, err
}

// write sets PENDING's value as a new version of the secret.
func (s *Store) write(ctx context.Context, c kv, t target, pend core.Version) error {
	data, err := pend.Value.MarshalJSON()
	if err != nil {
		return fmt.Errorf("encode value: %w", err)
	}
	now := time.Now().UTC()
	p := azsecrets.SetSecretParameters{Value: ptr(string(data)), ContentType: ptr(contentType), Tags: map[string]*string{
		tagRotation: ptr(pend.Rotation), tagStrategy: ptr(string(pend.Strategy)), tagPrevious: ptr(pend.Base),
		tagRotatedAt: ptr(now.Format(time.RFC3339))}}
	if t.expires > 0 {
		p.SecretAttributes = &azsecrets.SecretAttributes{Expires: ptr(now.Add(t.expires).Truncate(time.Second))}
	}
	if _, err := c.SetSecret(ctx, t.name, p, nil); err != nil {
		return fmt.Errorf("write %s: %w", t.name, classify(err))
	}
	return nil
}

// release disables every live version of the sibling: PENDING, and any
// version a crashed stage left behind.
func (s *Store) release(ctx context.Context, c kv, t target) error {
	cands, err := s.candidates(ctx, c, t)
	if err != nil {
		return fmt.Errorf("list PENDING versions of %s: %w", t.pending, err)
	}
	for _, cand := range cands {
		_, err := c.UpdateSecretProperties(ctx, t.pending, cand.id, azsecrets.UpdateSecretPropertiesParameters{
			SecretAttributes: &azsecrets.SecretAttributes{Enabled: ptr(false)}}, nil)
		if err = classify(err); err != nil && !isNotFound(err) {
			return fmt.Errorf("disable PENDING version %s of %s: %w", cand.id, t.pending, err)
		}
	}
	return nil
}

// DiscardPending disables PENDING (and stray live versions) if rotation
// staged it. With no PENDING it returns changed false.
func (s *Store) DiscardPending(ctx context.Context, ref core.Ref, rotation string) (bool, error) {
	t, c, err := s.open(ref)
	if err != nil {
		return false, err
	}
	pend, err := s.pending(ctx, c, t)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if pend.Rotation != rotation {
		return false, fmt.Errorf("%w: PENDING belongs to rotation %s", core.ErrConflict, pend.Rotation)
	}
	return true, s.release(ctx, c, t)
}
