package step

import (
	"context"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/handoff"
)

// Secrets gives provider-specific commands (targets that mint their own
// credential, such as IAM access keys) what the generic target steps use:
// the stages of --secret read through the store helper, each value
// registered with the scrubber before anything can print it, and the
// handoff of a minted value to the store's "-stage --stdin".
type Secrets struct {
	s *secrets
}

// NewSecrets parses --secret.
func NewSecrets(e *Env) (*Secrets, error) {
	s, err := newSecrets(e)
	if err != nil {
		return nil, err
	}
	return &Secrets{s: s}, nil
}

// Ref is the parsed --secret.
func (x *Secrets) Ref() core.Ref { return x.s.ref }

// Get reads a stage; ok is false when it does not exist.
func (x *Secrets) Get(ctx context.Context, stage core.Stage) (core.Version, bool, error) {
	return x.s.get(ctx, x.s.ref, stage)
}

// Must reads a stage that has to exist.
func (x *Secrets) Must(ctx context.Context, stage core.Stage) (core.Version, error) {
	return x.s.must(ctx, stage)
}

// Stage hands a minted value to the store as this rotation's PENDING, and
// logs the store's own lines. The value is registered with the scrubber first.
func (x *Secrets) Stage(ctx context.Context, v core.Value) (handoff.Staged, error) {
	x.s.e.Scrub.AddValue(v)
	st, err := handoff.Fetcher{}.Stage(ctx, x.s.ref, x.s.e.Opts.Rotation, v)
	for _, line := range st.Lines {
		x.s.e.Log.Info("store: " + line)
	}
	return st, err
}
