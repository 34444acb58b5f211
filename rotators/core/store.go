package core

import (
	"context"
	"time"
)

// Version is one stage of a secret as a store holds it.
type Version struct {
	Value    Value
	ID       string    // the store's version id (Vault and GCP numbers, AWS and Azure ids)
	Rotation string    // rotation id that made this value, if the store knows it
	Strategy Strategy  // strategy recorded when it was staged, if known
	Base     string    // for PENDING: the version id of CURRENT when it was staged
	Created  time.Time // when the version was written, if known
}

// Store is what the store steps need of a secret store. Every method is
// safe to re-run; each says what a second call does. Implementations map
// their errors onto the classes of errors.go (ErrNotFound when a stage does
// not exist, ErrConflict when a check-and-set loses, ErrUnavailable for
// network trouble and throttling, ErrDenied for refused credentials).
type Store interface {
	// Get reads the secret at a stage. It returns ErrNotFound when the
	// secret or that stage does not exist. Re-running it changes nothing.
	Get(ctx context.Context, ref Ref, stage Stage) (Version, error)

	// PutPending writes req.Value as PENDING for req.Rotation, on top of the
	// CURRENT version req.Base, using the store's check-and-set so that of two
	// racing calls exactly one wins and the other gets ErrConflict. Called
	// again for the same rotation after it succeeded, it returns the existing
	// PENDING unchanged. Readers of CURRENT never see the value.
	PutPending(ctx context.Context, ref Ref, req PutRequest) (Version, error)

	// Promote makes the PENDING of rotation CURRENT and the old CURRENT
	// PREVIOUS, then removes PENDING. It fails with ErrConflict when CURRENT
	// moved since staging. Called again after it succeeded (PENDING gone,
	// CURRENT made by rotation), it changes nothing and returns changed false.
	Promote(ctx context.Context, ref Ref, rotation string) (v Version, changed bool, err error)

	// DiscardPending removes the PENDING of rotation, never another
	// rotation's (ErrConflict). With no PENDING it returns changed false.
	DiscardPending(ctx context.Context, ref Ref, rotation string) (changed bool, err error)

	// Describe says, for dry runs and logs, where PENDING is kept.
	Describe(ref Ref) string
}

// PutRequest is the input of Store.PutPending.
type PutRequest struct {
	Rotation string
	Strategy Strategy
	Base     string // version id of CURRENT the value was made from
	Value    Value
}
