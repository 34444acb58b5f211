package vault

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Custom metadata keys on the secret, describing CURRENT.
const (
	mdRotation     = "rotation_id"
	mdVersion      = "rotation_version"
	mdStrategy     = "rotation_strategy"
	mdRotatedAt    = "rotated_at"
	mdPrevRotation = "previous_rotation_id"
	mdPrevVersion  = "previous_rotation_version"
)

// envelope is the data of the PENDING entry.
type envelope struct {
	Rotation string     `json:"rotation_id"`
	Strategy string     `json:"strategy"`
	Base     string     `json:"base_version"`
	StagedAt time.Time  `json:"staged_at"`
	Value    core.Value `json:"value"`
}

// Get reads a stage. Re-running it changes nothing.
func (s *Store) Get(ctx context.Context, ref core.Ref, stage core.Stage) (core.Version, error) {
	p, err := s.paths(ref)
	if err != nil {
		return core.Version{}, err
	}
	k := s.mount(p.mount)
	switch stage {
	case core.Pending:
		_, v, err := s.readPending(ctx, k, p)
		return v, err
	case core.Current:
		sec, err := k.Get(ctx, p.main)
		if err != nil {
			return core.Version{}, classify(err)
		}
		return fromSecret(sec, mdRotation, mdVersion)
	}
	md, err := k.GetMetadata(ctx, p.main)
	if err != nil {
		return core.Version{}, classify(err)
	}
	if md.CurrentVersion < 2 {
		return core.Version{}, fmt.Errorf("%w: %s has no version before %d", core.ErrNotFound, ref, md.CurrentVersion)
	}
	sec, err := k.GetVersion(ctx, p.main, md.CurrentVersion-1)
	if err != nil {
		return core.Version{}, classify(err)
	}
	sec.CustomMetadata = md.CustomMetadata
	return fromSecret(sec, mdPrevRotation, mdPrevVersion)
}

// fromSecret converts a KV read; deleted or destroyed versions have no data.
func fromSecret(sec *api.KVSecret, rotKey, verKey string) (core.Version, error) {
	if sec == nil || sec.Data == nil || sec.VersionMetadata == nil {
		return core.Version{}, fmt.Errorf("%w: version deleted or destroyed", core.ErrNotFound)
	}
	val, err := core.ValueFromMap(sec.Data)
	if err != nil {
		return core.Version{}, err
	}
	id := strconv.Itoa(sec.VersionMetadata.Version)
	v := core.Version{Value: val, ID: id, Created: sec.VersionMetadata.CreatedTime}
	if str(sec.CustomMetadata, verKey) == id {
		v.Rotation = str(sec.CustomMetadata, rotKey)
		if rotKey == mdRotation {
			v.Strategy = core.Strategy(str(sec.CustomMetadata, mdStrategy))
		}
	}
	return v, nil
}

func str(m map[string]interface{}, k string) string {
	s, _ := m[k].(string)
	return s
}

func (s *Store) readPending(ctx context.Context, k kv, p paths) (envelope, core.Version, error) {
	sec, err := k.Get(ctx, p.pending)
	if err != nil {
		return envelope{}, core.Version{}, classify(err)
	}
	if sec.Data == nil || sec.VersionMetadata == nil {
		return envelope{}, core.Version{}, fmt.Errorf("%w: PENDING deleted", core.ErrNotFound)
	}
	b, err := json.Marshal(sec.Data)
	if err != nil {
		return envelope{}, core.Version{}, fmt.Errorf("%w: PENDING entry %s/%s is not JSON", core.ErrUsage, p.mount, p.pending)
	}
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil || env.Rotation == "" || env.Value.IsZero() {
		return envelope{}, core.Version{}, fmt.Errorf("%w: PENDING entry %s/%s was not written by this pack", core.ErrUsage, p.mount, p.pending)
	}
	return env, pendingVersion(env, sec.VersionMetadata.Version), nil
}

// PutPending creates the PENDING entry with cas=0: of two racing stages one
// wins. Re-run for the same rotation, it returns the existing PENDING.
func (s *Store) PutPending(ctx context.Context, ref core.Ref, req core.PutRequest) (core.Version, error) {
	p, err := s.paths(ref)
	if err != nil {
		return core.Version{}, err
	}
	k := s.mount(p.mount)
	env := envelope{Rotation: req.Rotation, Strategy: string(req.Strategy), Base: req.Base, StagedAt: time.Now().UTC(), Value: req.Value}
	data, err := toMap(env)
	if err != nil {
		return core.Version{}, err
	}
	written, err := k.Put(ctx, p.pending, data, api.WithCheckAndSet(0))
	if err != nil {
		err = classify(err)
		if _, v, rerr := s.readPending(ctx, k, p); rerr == nil && v.Rotation == req.Rotation {
			return v, nil
		} else if rerr == nil {
			return core.Version{}, fmt.Errorf("%w: rotation %s staged first", core.ErrConflict, v.Rotation)
		}
		return core.Version{}, err
	}
	// What was written is known: no read back (one round trip fewer).
	return pendingVersion(env, written.VersionMetadata.Version), nil
}

// pendingVersion is the Version of a PENDING envelope stored as version n.
func pendingVersion(env envelope, n int) core.Version {
	return core.Version{Value: env.Value, ID: "pending-" + strconv.Itoa(n), Rotation: env.Rotation,
		Strategy: core.Strategy(env.Strategy), Base: env.Base, Created: env.StagedAt}
}

func toMap(x any) (map[string]interface{}, error) {
	b, err := json.Marshal(x)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	var m map[string]interface{}
	return m, json.Unmarshal(b, &m)
}
