package gcpsm

import (
	"context"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Annotation keys. On the secret they describe CURRENT; on the sibling
// they are the PENDING claim.
const (
	anRotation     = "rotation_id"
	anVersion      = "rotation_version"
	anStrategy     = "rotation_strategy"
	anRotatedAt    = "rotated_at"
	anPrevRotation = "previous_rotation_id"
	anPrevVersion  = "previous_version"
	anBase         = "base_version"
	anStagedAt     = "staged_at"
	anPending      = "pending_version"
	aliasPending   = "pending"
	aliasPrevious  = "previous"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// access reads an ENABLED version and checks its CRC32C. A disabled or
// destroyed version is ErrNotFound (it exists but cannot be read).
func (s *Store) access(ctx context.Context, name string) (core.Value, int64, error) {
	r, err := s.c.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: name})
	if isCode(err, codes.FailedPrecondition) {
		return core.Value{}, 0, fmt.Errorf("%w: %s is disabled or destroyed: %w", core.ErrNotFound, name, err)
	}
	if err != nil {
		return core.Value{}, 0, classify(err)
	}
	data := r.GetPayload().GetData()
	if c := r.GetPayload().DataCrc32C; c != nil && *c != int64(crc32.Checksum(data, castagnoli)) {
		return core.Value{}, 0, fmt.Errorf("%w: %s: data_crc32c does not match the data", core.ErrUnavailable, name)
	}
	v, err := core.ParseValue(data)
	if err != nil {
		return core.Value{}, 0, fmt.Errorf("%s: %w", name, err)
	}
	n, err := versionNumber(r.GetName())
	return v, n, err
}

// versionNumber returns the number at the end of .../versions/N.
func versionNumber(name string) (int64, error) {
	i := strings.LastIndex(name, "/versions/")
	n, err := strconv.ParseInt(name[i+len("/versions/"):], 10, 64)
	if i < 0 || err != nil {
		return 0, fmt.Errorf("unexpected version name %q", name)
	}
	return n, nil
}

// Get reads a stage. Re-running it changes nothing.
func (s *Store) Get(ctx context.Context, ref core.Ref, stage core.Stage) (core.Version, error) {
	n, err := parse(ref)
	if err != nil {
		return core.Version{}, err
	}
	if stage == core.Pending {
		_, v, err := s.readPending(ctx, n)
		return v, err
	}
	sec, err := s.c.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: n.secret})
	if err != nil {
		return core.Version{}, classify(err)
	}
	an := sec.GetAnnotations()
	if stage == core.Current {
		val, num, err := s.access(ctx, n.secret+"/versions/latest")
		if err != nil {
			return core.Version{}, err
		}
		v := core.Version{Value: val, ID: strconv.FormatInt(num, 10)}
		if an[anVersion] == v.ID {
			v.Rotation, v.Strategy = an[anRotation], core.Strategy(an[anStrategy])
		}
		return v, nil
	}
	latest, err := s.c.GetSecretVersion(ctx, &secretmanagerpb.GetSecretVersionRequest{Name: n.secret + "/versions/latest"})
	if err != nil {
		return core.Version{}, classify(err)
	}
	num, err := versionNumber(latest.GetName())
	if err != nil {
		return core.Version{}, err
	}
	facts := an[anVersion] == strconv.FormatInt(num, 10)
	prev := strconv.FormatInt(num-1, 10)
	if facts && an[anPrevVersion] != "" {
		prev = an[anPrevVersion]
	}
	if prev == "0" {
		return core.Version{}, fmt.Errorf("%w: %s has no version before %d", core.ErrNotFound, ref, num)
	}
	val, _, err := s.access(ctx, n.secret+"/versions/"+prev)
	if err != nil {
		return core.Version{}, err
	}
	v := core.Version{Value: val, ID: prev}
	if facts {
		v.Rotation = an[anPrevRotation]
	}
	return v, nil
}

// readPending reads the sibling's claim and the PENDING value. No sibling,
// or a sibling without a claim, is ErrNotFound.
func (s *Store) readPending(ctx context.Context, n names) (*secretmanagerpb.Secret, core.Version, error) {
	sib, err := s.c.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: n.pending})
	if err != nil {
		return nil, core.Version{}, classify(err)
	}
	an := sib.GetAnnotations()
	if an[anRotation] == "" || an[anPending] == "" {
		return sib, core.Version{}, fmt.Errorf("%w: no PENDING claimed in %s", core.ErrNotFound, n.pending)
	}
	val, _, err := s.access(ctx, n.pending+"/versions/"+an[anPending])
	if err != nil {
		return sib, core.Version{}, fmt.Errorf("PENDING of rotation %s: %w", an[anRotation], err)
	}
	staged, _ := time.Parse(time.RFC3339, an[anStagedAt])
	return sib, core.Version{Value: val, ID: "pending-" + an[anPending], Rotation: an[anRotation],
		Strategy: core.Strategy(an[anStrategy]), Base: an[anBase], Created: staged}, nil
}

// sibling returns the PENDING sibling, creating it (with the secret's
// replication) if it does not exist yet.
func (s *Store) sibling(ctx context.Context, n names) (*secretmanagerpb.Secret, error) {
	sib, err := s.c.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: n.pending})
	if !isCode(err, codes.NotFound) {
		return sib, classify(err)
	}
	main, err := s.c.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: n.secret})
	if err != nil {
		return nil, classify(err)
	}
	_, err = s.c.CreateSecret(ctx, &secretmanagerpb.CreateSecretRequest{Parent: n.project, SecretId: n.pending[strings.LastIndex(n.pending, "/")+1:],
		Secret: &secretmanagerpb.Secret{Replication: main.GetReplication(), Labels: map[string]string{"rotation-pack": "pending"}}})
	if err != nil && !isCode(err, codes.AlreadyExists) {
		return nil, fmt.Errorf("create the PENDING sibling %s: %w", n.pending, classify(err))
	}
	sib, err = s.c.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: n.pending})
	return sib, classify(err)
}

// PutPending adds the value as a version of the sibling and claims the
// sibling with its etag: of two racing stages exactly one claim succeeds.
// Re-run for the same rotation, it returns the existing PENDING.
func (s *Store) PutPending(ctx context.Context, ref core.Ref, req core.PutRequest) (core.Version, error) {
	n, err := parse(ref)
	if err != nil {
		return core.Version{}, err
	}
	sib, err := s.sibling(ctx, n)
	if err != nil {
		return core.Version{}, err
	}
	if owner := sib.GetAnnotations()[anRotation]; owner != "" {
		return s.existing(ctx, n, req.Rotation)
	}
	data, err := req.Value.MarshalJSON()
	if err != nil {
		return core.Version{}, fmt.Errorf("encode PENDING: %w", err)
	}
	crc := int64(crc32.Checksum(data, castagnoli))
	ver, err := s.c.AddSecretVersion(ctx, &secretmanagerpb.AddSecretVersionRequest{Parent: n.pending,
		Payload: &secretmanagerpb.SecretPayload{Data: data, DataCrc32C: &crc}})
	if err != nil {
		return core.Version{}, fmt.Errorf("add PENDING version to %s: %w", n.pending, classify(err))
	}
	num, err := versionNumber(ver.GetName())
	if err != nil {
		return core.Version{}, err
	}
	claim := &secretmanagerpb.Secret{Name: n.pending, Etag: sib.GetEtag(), VersionAliases: map[string]int64{aliasPending: num},
		Annotations: map[string]string{anRotation: req.Rotation, anStrategy: string(req.Strategy), anBase: req.Base,
			anStagedAt: time.Now().UTC().Format(time.RFC3339), anPending: strconv.FormatInt(num, 10)}}
	_, err = s.c.UpdateSecret(ctx, &secretmanagerpb.UpdateSecretRequest{Secret: claim,
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"annotations", "version_aliases"}}})
	if err != nil {
		// Lost the claim (or failed): this version is nobody's PENDING.
		_, _ = s.c.DestroySecretVersion(ctx, &secretmanagerpb.DestroySecretVersionRequest{Name: ver.GetName()})
		if isCode(err, codes.FailedPrecondition) {
			return s.existing(ctx, n, req.Rotation)
		}
		return core.Version{}, fmt.Errorf("claim %s: %w", n.pending, classify(err))
	}
	_, v, err := s.readPending(ctx, n)
	return v, err
}

// existing returns the PENDING of rotation, or ErrConflict when another
// rotation holds the sibling.
func (s *Store) existing(ctx context.Context, n names, rotation string) (core.Version, error) {
	_, v, err := s.readPending(ctx, n)
	if err != nil {
		return core.Version{}, fmt.Errorf("%w: %s is being staged by another rotation: %w", core.ErrConflict, n.pending, err)
	}
	if v.Rotation != rotation {
		return core.Version{}, fmt.Errorf("%w: rotation %s staged first", core.ErrConflict, v.Rotation)
	}
	return v, nil
}
