package vault

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Promote writes PENDING as the new latest version with cas=<base>, records
// the rotation in custom_metadata, then deletes PENDING. Each part is
// resumable: if a crash came after the write, the latest version already
// holds PENDING's value and is recognised as ours.
func (s *Store) Promote(ctx context.Context, ref core.Ref, rotation string) (core.Version, bool, error) {
	p, err := s.paths(ref)
	if err != nil {
		return core.Version{}, false, err
	}
	k := s.mount(p.mount)
	env, _, err := s.readPending(ctx, k, p)
	if isNotFound(err) {
		// A racing promote of the same rotation may have finished first.
		if cur, cerr := s.Get(ctx, ref, core.Current); cerr == nil && cur.Rotation == rotation {
			return cur, false, nil
		}
	}
	if err != nil {
		return core.Version{}, false, err
	}
	if env.Rotation != rotation {
		return core.Version{}, false, fmt.Errorf("%w: PENDING belongs to rotation %s", core.ErrConflict, env.Rotation)
	}
	base, err := strconv.Atoi(env.Base)
	if err != nil {
		return core.Version{}, false, fmt.Errorf("%w: PENDING has no base version", core.ErrUsage)
	}
	latest, err := k.Get(ctx, p.main)
	if err != nil {
		return core.Version{}, false, classify(err)
	}
	prevMeta := latest.CustomMetadata
	newVersion, created := latest.VersionMetadata.Version, latest.VersionMetadata.CreatedTime
	switch cur, _ := fromSecret(latest, mdRotation, mdVersion); {
	case newVersion == base:
		written, err := k.Put(ctx, p.main, env.Value.Map(), api.WithCheckAndSet(base))
		if err != nil {
			if written, err = s.wonByTwin(ctx, k, p, env, classify(err)); err != nil {
				return core.Version{}, false, err
			}
		}
		newVersion, created = written.VersionMetadata.Version, written.VersionMetadata.CreatedTime
	case newVersion > base && cur.Value.Equal(env.Value):
		// An earlier promote wrote the value and stopped before finishing.
	default:
		return core.Version{}, false, fmt.Errorf("%w: %s changed since it was staged (version %d, staged on %d); roll back and rotate again", core.ErrConflict, ref, newVersion, base)
	}
	md := map[string]interface{}{
		mdRotation: rotation, mdVersion: strconv.Itoa(newVersion), mdStrategy: env.Strategy,
		mdRotatedAt: time.Now().UTC().Format(time.RFC3339), mdPrevRotation: nil, mdPrevVersion: nil,
	}
	if str(prevMeta, mdVersion) == env.Base && str(prevMeta, mdRotation) != rotation {
		md[mdPrevRotation], md[mdPrevVersion] = str(prevMeta, mdRotation), env.Base
	}
	if err := k.PatchMetadata(ctx, p.main, api.KVMetadataPatchInput{CustomMetadata: md}); err != nil {
		return core.Version{}, false, fmt.Errorf("record rotation in custom_metadata: %w", classify(err))
	}
	if err := k.DeleteMetadata(ctx, p.pending); err != nil {
		return core.Version{}, false, fmt.Errorf("delete PENDING: %w", classify(err))
	}
	// CURRENT is now what was just written and recorded: no read back.
	return core.Version{Value: env.Value, ID: strconv.Itoa(newVersion), Created: created,
		Rotation: rotation, Strategy: core.Strategy(env.Strategy)}, true, nil
}

// wonByTwin handles a lost check-and-set: if the latest version now holds
// PENDING's value, a racing promote of the same rotation wrote it and this
// one goes on; otherwise CURRENT moved and the error stands.
func (s *Store) wonByTwin(ctx context.Context, k kv, p paths, env envelope, casErr error) (*api.KVSecret, error) {
	latest, err := k.Get(ctx, p.main)
	if err != nil {
		return nil, classify(err)
	}
	if cur, err := fromSecret(latest, mdRotation, mdVersion); err == nil && cur.Value.Equal(env.Value) {
		return latest, nil
	}
	return nil, casErr
}

// DiscardPending deletes the PENDING entry (all its versions) if it belongs
// to rotation. With no PENDING it returns changed false.
func (s *Store) DiscardPending(ctx context.Context, ref core.Ref, rotation string) (bool, error) {
	p, err := s.paths(ref)
	if err != nil {
		return false, err
	}
	k := s.mount(p.mount)
	env, _, err := s.readPending(ctx, k, p)
	if err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, err
	}
	if env.Rotation != rotation {
		return false, fmt.Errorf("%w: PENDING belongs to rotation %s", core.ErrConflict, env.Rotation)
	}
	if err := k.DeleteMetadata(ctx, p.pending); err != nil {
		return false, classify(err)
	}
	return true, nil
}
