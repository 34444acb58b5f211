package step

import (
	"context"
	"errors"
	"fmt"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/handoff"
)

// TargetOpener builds a target from the environment (PG* variables, ...).
type TargetOpener func(ctx context.Context) (core.Target, error)

// fetcher reads secret stages; handoff.Fetcher runs the store helpers.
type fetcher interface {
	Fetch(ctx context.Context, ref core.Ref, stage core.Stage) (core.Version, error)
}

// targetRun opens the target and the secret reader, then runs fn.
func targetRun(open TargetOpener, fn func(context.Context, core.Target, *secrets, *Env) (Result, error)) func(context.Context, *Env) (Result, error) {
	return func(ctx context.Context, e *Env) (Result, error) {
		s, err := newSecrets(e) // bad input first, then configuration
		if err != nil {
			return Result{}, err
		}
		t, err := open(ctx)
		if err != nil {
			return Result{}, err
		}
		return fn(ctx, t, s, e)
	}
}

// secrets reads the stages a target step needs and registers every value
// read with the scrubber before anything else can print it.
type secrets struct {
	f   fetcher
	ref core.Ref
	e   *Env
}

func newSecrets(e *Env) (*secrets, error) {
	ref, err := core.ParseRef(e.Opts.Secret)
	if err != nil {
		return nil, err
	}
	f := handoff.Fetcher{}
	if err := f.CheckStore(ref.Scheme); err != nil {
		return nil, fmt.Errorf("--secret %s: %w", ref, err)
	}
	return &secrets{f: f, ref: ref, e: e}, nil
}

// get reads a stage; ok is false when it does not exist.
func (s *secrets) get(ctx context.Context, ref core.Ref, stage core.Stage) (core.Version, bool, error) {
	v, err := s.f.Fetch(ctx, ref, stage)
	if errors.Is(err, core.ErrNotFound) {
		return core.Version{}, false, nil
	}
	if err != nil {
		return core.Version{}, false, fmt.Errorf("read %s of %s: %w", stage, ref, err)
	}
	s.e.Scrub.AddValue(v.Value)
	return v, true, nil
}

// must reads a stage that has to exist.
func (s *secrets) must(ctx context.Context, stage core.Stage) (core.Version, error) {
	v, ok, err := s.get(ctx, s.ref, stage)
	if err == nil && !ok {
		err = fmt.Errorf("%w: %s has no %s value", core.ErrNotFound, s.ref, stage)
	}
	return v, err
}

// admin reads the admin credential given by --admin-secret, if any.
func (s *secrets) admin(ctx context.Context) (core.Value, error) {
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

func logPlan(e *Env, target core.Target, creds core.Value, plan core.Plan) {
	for _, a := range plan.Actions {
		verb := "did"
		if e.Opts.DryRun {
			verb = "plan"
		}
		e.Log.Info(verb+": "+a, "target", target.Describe(creds))
	}
}
