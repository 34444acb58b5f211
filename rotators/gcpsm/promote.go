package gcpsm

import (
	"context"
	"fmt"
	"hash/crc32"
	"maps"
	"strconv"
	"time"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// etagRetries bounds the re-reads after an etag mismatch on annotations.
const etagRetries = 5

// Promote adds PENDING's value as the new latest version of the secret if
// the latest is still the version it was staged on, records the rotation
// in the secret's annotations, then releases the sibling and destroys the
// PENDING version. Each part is resumable: after a crash the latest
// version already holds PENDING's value and is recognised as ours.
func (s *Store) Promote(ctx context.Context, ref core.Ref, rotation string) (core.Version, bool, error) {
	n, err := parse(ref)
	if err != nil {
		return core.Version{}, false, err
	}
	sib, pend, err := s.readPending(ctx, n)
	if isNotFound(err) {
		// A racing promote of the same rotation may have finished first.
		if cur, cerr := s.Get(ctx, ref, core.Current); cerr == nil && cur.Rotation == rotation {
			return cur, false, nil
		}
	}
	if err != nil {
		return core.Version{}, false, err
	}
	if pend.Rotation != rotation {
		return core.Version{}, false, fmt.Errorf("%w: PENDING belongs to rotation %s", core.ErrConflict, pend.Rotation)
	}
	cur, num, err := s.access(ctx, n.secret+"/versions/latest")
	if err != nil {
		return core.Version{}, false, err
	}
	switch base := pend.Base; {
	case strconv.FormatInt(num, 10) == base:
		if err := s.addVersion(ctx, n.secret, pend.Value); err != nil {
			return core.Version{}, false, err
		}
	case cur.Equal(pend.Value):
		// An earlier promote wrote the value and stopped before finishing.
	default:
		return core.Version{}, false, fmt.Errorf("%w: %s changed since it was staged (latest version %d, staged on %s); roll back and rotate again", core.ErrConflict, ref, num, base)
	}
	if err := s.recordFacts(ctx, n, pend); err != nil {
		return core.Version{}, false, fmt.Errorf("record rotation in annotations: %w", err)
	}
	if err := s.release(ctx, n, sib, rotation); err != nil {
		return core.Version{}, false, err
	}
	v, err := s.Get(ctx, ref, core.Current)
	return v, true, err
}

func (s *Store) addVersion(ctx context.Context, secret string, v core.Value) error {
	data, err := v.MarshalJSON()
	if err != nil {
		return fmt.Errorf("encode value: %w", err)
	}
	crc := int64(crc32.Checksum(data, castagnoli))
	_, err = s.c.AddSecretVersion(ctx, &secretmanagerpb.AddSecretVersionRequest{Parent: secret,
		Payload: &secretmanagerpb.SecretPayload{Data: data, DataCrc32C: &crc}})
	if err != nil {
		return fmt.Errorf("add version to %s: %w", secret, classify(err))
	}
	return nil
}

// recordFacts writes the rotation facts of the latest version (which holds
// PENDING's value) into the secret's annotations and points alias
// "previous" at the base version, with the etag it read; other annotations
// and aliases are kept.
func (s *Store) recordFacts(ctx context.Context, n names, pend core.Version) error {
	for range etagRetries {
		sec, err := s.c.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: n.secret})
		if err != nil {
			return classify(err)
		}
		latest, err := s.c.GetSecretVersion(ctx, &secretmanagerpb.GetSecretVersionRequest{Name: n.secret + "/versions/latest"})
		if err != nil {
			return classify(err)
		}
		num, err := versionNumber(latest.GetName())
		if err != nil {
			return err
		}
		old := sec.GetAnnotations()
		an := maps.Clone(old)
		if an == nil {
			an = map[string]string{}
		}
		an[anRotation], an[anVersion], an[anStrategy] = pend.Rotation, strconv.FormatInt(num, 10), string(pend.Strategy)
		an[anRotatedAt], an[anPrevVersion], an[anPrevRotation] = time.Now().UTC().Format(time.RFC3339), pend.Base, ""
		switch {
		case old[anRotation] == pend.Rotation: // resumed: keep what the first attempt recorded
			an[anPrevRotation] = old[anPrevRotation]
		case old[anVersion] == pend.Base:
			an[anPrevRotation] = old[anRotation]
		}
		aliases := maps.Clone(sec.GetVersionAliases())
		if aliases == nil {
			aliases = map[string]int64{}
		}
		if b, err := strconv.ParseInt(pend.Base, 10, 64); err == nil {
			aliases[aliasPrevious] = b
		}
		_, err = s.c.UpdateSecret(ctx, &secretmanagerpb.UpdateSecretRequest{
			Secret:     &secretmanagerpb.Secret{Name: n.secret, Etag: sec.GetEtag(), Annotations: an, VersionAliases: aliases},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"annotations", "version_aliases"}}})
		if !isCode(err, codes.FailedPrecondition) {
			return classify(err)
		}
	}
	return fmt.Errorf("%w: %s: annotations kept changing (etag)", core.ErrConflict, n.secret)
}

// release clears the sibling's claim if rotation still holds it (with the
// etag read in sib), then destroys the PENDING version. A claim already
// released by a racing twin is fine.
func (s *Store) release(ctx context.Context, n names, sib *secretmanagerpb.Secret, rotation string) error {
	pending := sib.GetAnnotations()[anPending]
	_, err := s.c.UpdateSecret(ctx, &secretmanagerpb.UpdateSecretRequest{
		Secret:     &secretmanagerpb.Secret{Name: n.pending, Etag: sib.GetEtag()},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"annotations", "version_aliases"}}})
	if isCode(err, codes.FailedPrecondition) {
		now, gerr := s.c.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: n.pending})
		if gerr != nil {
			return fmt.Errorf("release %s: %w", n.pending, classify(gerr))
		}
		if now.GetAnnotations()[anRotation] == rotation {
			return fmt.Errorf("release %s: %w", n.pending, classify(err))
		}
		err = nil // a racing twin released it
	}
	if err != nil {
		return fmt.Errorf("release %s: %w", n.pending, classify(err))
	}
	_, err = s.c.DestroySecretVersion(ctx, &secretmanagerpb.DestroySecretVersionRequest{Name: n.pending + "/versions/" + pending})
	if err != nil && !isCode(err, codes.FailedPrecondition) && !isCode(err, codes.NotFound) {
		return fmt.Errorf("destroy PENDING version %s of %s: %w", pending, n.pending, classify(err))
	}
	return nil
}

// DiscardPending releases the sibling's claim and destroys the PENDING
// version if rotation holds it. With no PENDING it returns changed false.
func (s *Store) DiscardPending(ctx context.Context, ref core.Ref, rotation string) (bool, error) {
	n, err := parse(ref)
	if err != nil {
		return false, err
	}
	sib, pend, err := s.readPending(ctx, n)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if pend.Rotation != rotation {
		return false, fmt.Errorf("%w: PENDING belongs to rotation %s", core.ErrConflict, pend.Rotation)
	}
	return true, s.release(ctx, n, sib, rotation)
}
