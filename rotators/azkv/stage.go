package azkv

import (
	"context"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// recoverTimeout bounds the wait for a recovered sibling to come back.
const recoverTimeout = 2 * time.Minute

// PutPending writes the value as a new version of the sibling, waits Settle
// and keeps it only if it is the oldest live version; otherwise it disables
// it again and returns the winner (same rotation) or ErrConflict.
func (s *Store) PutPending(ctx context.Context, ref core.Ref, req core.PutRequest) (core.Version, error) {
	t, c, err := s.open(ref)
	if err != nil {
		return core.Version{}, err
	}
	data, err := req.Value.MarshalJSON()
	if err != nil {
		return core.Version{}, fmt.Errorf("encode PENDING: %w", err)
	}
	p := azsecrets.SetSecretParameters{Value: ptr(string(data)), ContentType: ptr(contentType), Tags: map[string]*string{
		tagRotation: ptr(req.Rotation), tagStrategy: ptr(string(req.Strategy)), tagBase: ptr(req.Base),
		tagStagedAt: ptr(time.Now().UTC().Format(time.RFC3339))}}
	resp, err := c.SetSecret(ctx, t.pending, p, nil)
	if err = classify(err); isConflict(err) {
		// The sibling was deleted by hand and is soft-deleted: recover it,
		// then look again, since it may hold a PENDING.
		if err := s.recoverSibling(ctx, c, t); err != nil {
			return core.Version{}, err
		}
		if v, err := s.pending(ctx, c, t); err == nil {
			return s.sameRotation(v, req.Rotation)
		}
		resp, err = c.SetSecret(ctx, t.pending, p, nil)
		err = classify(err)
	}
	if err != nil {
		return core.Version{}, fmt.Errorf("write PENDING to %s: %w", t.pending, err)
	}
	mine := resp.ID.Version()
	select {
	case <-ctx.Done():
		return core.Version{}, ctx.Err()
	case <-time.After(Settle):
	}
	winner, err := s.pending(ctx, c, t)
	if err == nil && winner.ID == mine {
		return winner, nil
	}
	// Lost the race (or the sibling was released meanwhile): this version is nobody's PENDING.
	_, _ = c.UpdateSecretProperties(ctx, t.pending, mine, azsecrets.UpdateSecretPropertiesParameters{
		SecretAttributes: &azsecrets.SecretAttributes{Enabled: ptr(false)}}, nil)
	if err != nil {
		return core.Version{}, fmt.Errorf("%w: PENDING of %s changed while staging: %w", core.ErrConflict, t.pending, err)
	}
	return s.sameRotation(winner, req.Rotation)
}

// sameRotation returns v if rotation staged it, else ErrConflict.
func (s *Store) sameRotation(v core.Version, rotation string) (core.Version, error) {
	if v.Rotation != rotation {
		return core.Version{}, fmt.Errorf("%w: rotation %s staged first", core.ErrConflict, v.Rotation)
	}
	return v, nil
}

// recoverSibling recovers a soft-deleted sibling and waits until it can be
// read again (recovery is asynchronous in Key Vault). It never purges.
func (s *Store) recoverSibling(ctx context.Context, c kv, t target) error {
	_, err := c.RecoverDeletedSecret(ctx, t.pending, nil)
	if err = classify(err); err != nil && !isNotFound(err) {
		return fmt.Errorf("the PENDING secret %s is soft-deleted; recovering it failed (recover or purge it by hand): %w", t.pending, err)
	}
	ctx, cancel := context.WithTimeout(ctx, recoverTimeout)
	defer cancel()
	for {
		if _, err := s.versions(ctx, c, t.pending); !isNotFound(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %s: still not back %s after recovery", core.ErrUnavailable, t.pending, recoverTimeout)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
