package awssm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Promote moves AWSCURRENT to this rotation's PENDING version, taking it
// from the version the value was staged on (AWS then moves AWSPREVIOUS
// itself), removes AWSPENDING, and unlabels versions that are no longer
// CURRENT or PREVIOUS so that Secrets Manager can retire them. A racing
// promote of the same rotation, or a re-run after a crash, finds AWSCURRENT
// already moved and finishes the rest.
func (s *Store) Promote(ctx context.Context, ref core.Ref, rotation string) (core.Version, bool, error) {
	id := secretID(ref)
	pend, err := s.Get(ctx, ref, core.Pending)
	if errors.Is(err, core.ErrNotFound) {
		if cur, cerr := s.Get(ctx, ref, core.Current); cerr == nil && cur.Rotation == rotation {
			return cur, false, s.tidy(ctx, id)
		}
	}
	if err != nil {
		return core.Version{}, false, err
	}
	if pend.Rotation != rotation {
		return core.Version{}, false, fmt.Errorf("%w: AWSPENDING belongs to rotation %q", core.ErrConflict, pend.Rotation)
	}
	_, err = s.sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String(id),
		VersionStage: aws.String(labelCurrent), MoveToVersionId: aws.String(pend.ID), RemoveFromVersionId: aws.String(pend.Base)})
	if err != nil {
		cur, cerr := s.Get(ctx, ref, core.Current)
		if cerr != nil || cur.ID != pend.ID {
			return core.Version{}, false, fmt.Errorf("move AWSCURRENT from the version staged on (%s): CURRENT changed since staging or %w", pend.Base, classify(err))
		}
	}
	if err := s.markPromoted(ctx, id, pend.ID); err != nil {
		return core.Version{}, false, err
	}
	if err := s.removeLabel(ctx, id, labelPending, pend.ID); err != nil && !errors.Is(err, core.ErrConflict) {
		return core.Version{}, false, fmt.Errorf("remove AWSPENDING: %w", err)
	}
	if err := s.tidy(ctx, id); err != nil {
		return core.Version{}, false, err
	}
	v, err := s.Get(ctx, ref, core.Current)
	return v, true, err
}

// markPromoted labels the new CURRENT with the promote time, unless a
// racing or earlier promote already did.
func (s *Store) markPromoted(ctx context.Context, id, version string) error {
	stages, err := s.stages(ctx, id)
	if err != nil {
		return err
	}
	if _, ok := promotedAt(stages[version]); ok {
		return nil
	}
	label := promotedPrefix + strconv.FormatInt(time.Now().Unix(), 10)
	if err := s.addLabel(ctx, id, label, version); err != nil && !errors.Is(err, core.ErrConflict) {
		return fmt.Errorf("label the promote time: %w", err)
	}
	return nil
}

// tidy removes rotation labels from versions that hold none of the three
// stages, so that old versions are not kept forever.
func (s *Store) tidy(ctx context.Context, id string) error {
	stages, err := s.stages(ctx, id)
	if err != nil {
		return err
	}
	for v, labels := range stages {
		if has(labels, labelCurrent) || has(labels, labelPrevious) || has(labels, labelPending) {
			continue
		}
		for _, l := range labels {
			if strings.HasPrefix(l, rotPrefix) || strings.HasPrefix(l, promotedPrefix) {
				if err := s.removeLabel(ctx, id, l, v); err != nil && !errors.Is(err, core.ErrConflict) {
					return fmt.Errorf("unlabel old version %s: %w", v, err)
				}
			}
		}
	}
	return nil
}

// DiscardPending takes AWSPENDING (then the rotation label) off this
// rotation's version; the version is then deprecated. With no PENDING it
// returns changed false.
func (s *Store) DiscardPending(ctx context.Context, ref core.Ref, rotation string) (bool, error) {
	id := secretID(ref)
	pend, err := s.Get(ctx, ref, core.Pending)
	if errors.Is(err, core.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if pend.Rotation != rotation {
		return false, fmt.Errorf("%w: AWSPENDING belongs to rotation %q", core.ErrConflict, pend.Rotation)
	}
	if err := s.removeLabel(ctx, id, labelPending, pend.ID); err != nil {
		return false, fmt.Errorf("remove AWSPENDING: %w", err)
	}
	return true, s.tidy(ctx, id)
}
