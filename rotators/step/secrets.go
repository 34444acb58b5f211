package step

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/handoff"
)

// fetcher reads secret stages; handoff.Fetcher runs the store helpers.
type fetcher interface {
	Fetch(ctx context.Context, ref core.Ref, stage core.Stage) (core.Version, error)
}

// Secrets reads the stages of --secret (and --admin-secret) that a target
// step needs, through the store helper, and registers every value read with
// the scrubber before anything else can print it. Provider-specific
// commands (targets that mint their own credential, such as IAM access
// keys) use it too, with Stage to hand a minted value to the store.
type Secrets struct {
	f   fetcher
	ref core.Ref
	e   *Env
	pre map[string]fetched // results of prefetch by stageOf.key, taken by get
}

// stageOf is one stage of one secret.
type stageOf struct {
	ref   core.Ref
	stage core.Stage
}

func (k stageOf) key() string { return string(k.stage) + " " + k.ref.String() }

type fetched struct {
	v   core.Version
	err error
}

// prefetch reads the stages a step is about to need all at once: each read
// is a helper process, and run one after the other they made most of a
// step's time (docs/benchmarks.md). get then takes the results in the
// step's own order, so what it reports and refuses is unchanged.
func (s *Secrets) prefetch(ctx context.Context, keys ...stageOf) {
	unique := map[string]stageOf{}
	for _, k := range keys {
		unique[k.key()] = k
	}
	pre := make(map[string]fetched, len(unique))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for key, k := range unique {
		wg.Go(func() {
			v, err := s.f.Fetch(ctx, k.ref, k.stage)
			mu.Lock()
			defer mu.Unlock()
			pre[key] = fetched{v, err}
		})
	}
	wg.Wait()
	for _, r := range pre {
		if r.err == nil {
			s.e.Scrub.AddValue(r.v.Value) // at once: a value read but not used is still scrubbed
		}
	}
	s.pre = pre
}

// adminStage is the CURRENT stage of --admin-secret, when one is given
// and parses; admin reports a bad reference itself.
func (s *Secrets) adminStage() []stageOf {
	if s.e.Opts.AdminSecret == "" {
		return nil
	}
	ref, err := core.ParseRef(s.e.Opts.AdminSecret)
	if err != nil {
		return nil
	}
	return []stageOf{{ref, core.Current}}
}

// NewSecrets parses --secret and checks that its store's helper exists.
func NewSecrets(e *Env) (*Secrets, error) {
	ref, err := core.ParseRef(e.Opts.Secret)
	if err != nil {
		return nil, err
	}
	f := handoff.Fetcher{}
	if err := f.CheckStore(ref.Scheme); err != nil {
		return nil, fmt.Errorf("--secret %s: %w", ref, err)
	}
	return &Secrets{f: f, ref: ref, e: e}, nil
}

// get reads a stage; ok is false when it does not exist.
func (s *Secrets) get(ctx context.Context, ref core.Ref, stage core.Stage) (core.Version, bool, error) {
	r, ok := s.pre[stageOf{ref, stage}.key()]
	if !ok {
		r.v, r.err = s.f.Fetch(ctx, ref, stage)
	}
	v, err := r.v, r.err
	if errors.Is(err, core.ErrNotFound) {
		return core.Version{}, false, nil
	}
	if err != nil {
		return core.Version{}, false, fmt.Errorf("read %s of %s: %w", stage, ref, err)
	}
	s.e.Scrub.AddValue(v.Value)
	return v, true, nil
}

// Must reads a stage of --secret that has to exist.
func (s *Secrets) Must(ctx context.Context, stage core.Stage) (core.Version, error) {
	v, ok, err := s.get(ctx, s.ref, stage)
	if err == nil && !ok {
		err = fmt.Errorf("%w: %s has no %s value", core.ErrNotFound, s.ref, stage)
	}
	return v, err
}

// admin reads the admin credential given by --admin-secret, if any.
func (s *Secrets) admin(ctx context.Context) (core.Value, error) {
	if s.e.Opts.AdminSecret == "" {
		return core.Value{}, nil
	}
	ref, err := core.ParseRef(s.e.Opts.AdminSecret)
	if err != nil {
		return core.Value{}, fmt.Errorf("--admin-secret: %w", err)
	}
	v, ok, err := s.get(ctx, ref, core.Current)
	if err == nil && !ok {
		err = fmt.Errorf("%w: admin secret %s not found", core.ErrNotFound, ref)
	}
	return v.Value, err
}

// Ref is the parsed --secret.
func (s *Secrets) Ref() core.Ref { return s.ref }

// Get reads a stage of --secret; ok is false when it does not exist.
func (s *Secrets) Get(ctx context.Context, stage core.Stage) (core.Version, bool, error) {
	return s.get(ctx, s.ref, stage)
}

// Stage hands a minted value to the store as this rotation's PENDING, and
// logs the store's own lines. The value is registered with the scrubber
// first. Re-running it for the same rotation returns the PENDING already
// staged (the store's -stage is idempotent).
func (s *Secrets) Stage(ctx context.Context, v core.Value) (handoff.Staged, error) {
	s.e.Scrub.AddValue(v)
	st, err := handoff.Fetcher{}.Stage(ctx, s.ref, s.e.Opts.Rotation, v)
	for _, line := range st.Lines {
		s.e.Log.Info("store: " + line)
	}
	return st, err
}
