package step

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/handoff"
)

// StoreOpener connects to a store from the environment (VAULT_ADDR, the AWS
// default chain, ...). It must not contact the store before it is needed.
type StoreOpener func(ctx context.Context) (core.Store, error)

// storeStep opens the store and checks that --secret names it.
func storeStep(ctx context.Context, scheme string, open StoreOpener, e *Env) (core.Store, core.Ref, error) {
	ref, err := core.ParseRef(e.Opts.Secret)
	if err != nil {
		return nil, core.Ref{}, err
	}
	if ref.Scheme != scheme {
		return nil, core.Ref{}, fmt.Errorf("%w: %s handles %s:// references, not %s://", core.ErrUsage, e.Name, scheme, ref.Scheme)
	}
	st, err := open(ctx)
	if err != nil {
		return nil, core.Ref{}, err
	}
	return st, ref, nil
}

// storeRun opens the store for the secret of --secret, then runs fn.
func storeRun(scheme string, open StoreOpener, fn func(context.Context, core.Store, core.Ref, *Env) (Result, error)) func(context.Context, *Env) (Result, error) {
	return func(ctx context.Context, e *Env) (Result, error) {
		st, ref, err := storeStep(ctx, scheme, open, e)
		if err != nil {
			return Result{}, err
		}
		defer CloseStore(st, e)
		return fn(ctx, st, ref, e)
	}
}

// closeTimeout bounds the end of a store session at exit.
const closeTimeout = 10 * time.Second

// CloseStore ends the session of a store that holds one (vault, logged in
// with AppRole, Kubernetes or JWT, revokes the token it got). It has its own
// deadline: the step's context may already be cancelled by a signal, and
// revoking is still worth a try. A failure is logged, not returned: the
// step's work is done, and the token expires at its TTL.
func CloseStore(st any, e *Env) {
	c, ok := st.(interface{ Close(context.Context) error })
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		e.Log.Warn("store session not ended", "error", err.Error())
	}
}

// getOptional reads a stage, returning ok false (and no error) when it does not exist.
func getOptional(ctx context.Context, st core.Store, ref core.Ref, stage core.Stage) (core.Version, bool, error) {
	v, err := st.Get(ctx, ref, stage)
	if errors.Is(err, core.ErrNotFound) {
		return core.Version{}, false, nil
	}
	if err != nil {
		return core.Version{}, false, fmt.Errorf("read %s: %w", stage, err)
	}
	return v, true, nil
}

// StoreGet is <store>-get: it hands one stage of a secret to the rotation
// binary that started it, over a private pipe, and prints nothing else.
func StoreGet(scheme string, open StoreOpener) Command {
	name := scheme + "-get"
	return Command{
		Name:    name,
		Summary: "hand one stage of a secret to a rotation binary (helper; never prints the value)",
		Details: `Target binaries start this helper to read a secret without the value ever
appearing in argv, the environment, files or logs (docs/design.md in the
project's repository, "The helper hand-off"). Run by hand, it refuses: it only
writes to the private pipe its parent gives it.`,
		Flags: []string{"secret", "stage", "timeout"},
		Quiet: true,
		Run: func(ctx context.Context, e *Env) (Result, error) {
			stage, err := core.ParseStage(e.Opts.Stage)
			if err != nil {
				return Result{}, err
			}
			// Bad input is reported first; the helper check comes before any store call.
			if ref, err := core.ParseRef(e.Opts.Secret); err != nil {
				return Result{}, err
			} else if ref.Scheme != scheme {
				return Result{}, fmt.Errorf("%w: %s handles %s:// references, not %s://", core.ErrUsage, name, scheme, ref.Scheme)
			}
			if err := handoff.CheckHelper(name); err != nil {
				return Result{}, err
			}
			st, ref, err := storeStep(ctx, scheme, open, e)
			if err != nil {
				return Result{}, err
			}
			defer CloseStore(st, e)
			v, err := st.Get(ctx, ref, stage)
			if errors.Is(err, core.ErrNotFound) {
				return Result{}, handoff.ServeMissing(name)
			}
			if err != nil {
				return Result{}, fmt.Errorf("read %s of %s: %w", stage, ref, err)
			}
			e.Scrub.AddValue(v.Value)
			return Result{}, handoff.Serve(name, v)
		},
	}
}
