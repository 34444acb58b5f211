package azkv_test

import (
	"context"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/kestra-rotation/rotation-pack/rotators/azkv/azkvtest"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// storeCase is a fresh secret in the test double and the store library.
type storeCase struct {
	h       conformance.StoreHarness
	c       *azsecrets.Client
	ref     core.Ref
	initial core.Value
}

func newStoreCase(t *testing.T, query string) storeCase {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the Key Vault test double")
	}
	h := azkvtest.Harness(t, env.AzKV, env.BinDir)
	c := azkvtest.Client(t, env.AzKV)
	initial := conformance.DBValue(&conformance.Runner{}, "app")
	ref := azkvtest.Put(t, c, conformance.RandomID("s-"), initial)
	ref, err := core.ParseRef(ref.String() + query)
	if err != nil {
		t.Fatal(err)
	}
	return storeCase{h: h, c: c, ref: ref, initial: initial}
}

// stage puts a new password as PENDING for rotation id.
func (s storeCase) stage(t *testing.T, id string) core.Version {
	t.Helper()
	cur, err := s.h.Store.Get(t.Context(), s.ref, core.Current)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.h.Store.PutPending(t.Context(), s.ref, core.PutRequest{Rotation: id, Strategy: core.Single, Base: cur.ID,
		Value: cur.Value.With("password", conformance.RandomID("pw-"))})
	if err != nil {
		t.Fatalf("stage %s: %v", id, err)
	}
	return v
}

// TestStageRecoversSoftDeletedSibling: a PENDING sibling deleted by hand is
// soft-deleted; the next stage recovers it (never purges) and goes on.
func TestStageRecoversSoftDeletedSibling(t *testing.T) {
	s := newStoreCase(t, "")
	if _, err := s.h.Store.DiscardPending(t.Context(), s.ref, "none"); err != nil {
		t.Fatal(err)
	}
	first := conformance.RandomID("rot-")
	s.stage(t, first)
	if _, err := s.h.Store.DiscardPending(t.Context(), s.ref, first); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.DeleteSecret(context.Background(), s.ref.Path+"-pending", nil); err != nil {
		t.Fatal(err)
	}
	second := conformance.RandomID("rot-")
	if got := s.stage(t, second); got.Rotation != second {
		t.Errorf("stage after soft delete: PENDING rotation %q, want %q", got.Rotation, second)
	}
	if _, err := s.c.GetDeletedSecret(context.Background(), s.ref.Path+"-pending", nil); err == nil {
		t.Error("the sibling is still soft-deleted")
	}
}

// TestPromoteSetsExpiry: ?expires=30d sets the new version's expiry, so
// Event Grid's SecretNearExpiry can start the next rotation; the facts are
// tags of that version.
func TestPromoteSetsExpiry(t *testing.T) {
	s := newStoreCase(t, "?expires=30d")
	id := conformance.RandomID("rot-")
	pend := s.stage(t, id)
	if _, _, err := s.h.Store.Promote(t.Context(), s.ref, id); err != nil {
		t.Fatal(err)
	}
	r, err := s.c.GetSecret(context.Background(), s.ref.Path, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Now().Add(30 * 24 * time.Hour)
	if exp := r.Attributes.Expires; exp == nil || exp.Sub(want).Abs() > time.Minute {
		t.Errorf("expires: got %v, want about %v", exp, want)
	}
	if got := r.Tags["rotation_id"]; got == nil || *got != id || r.Tags["previous_version"] == nil || *r.Tags["previous_version"] != pend.Base {
		t.Errorf("tags of the new version: got %v, want rotation_id %s and previous_version %s", r.Tags, id, pend.Base)
	}
}

// TestManualWriteIsNotARotation: a version written by hand carries no
// rotation facts, and PREVIOUS falls back to the version before it.
func TestManualWriteIsNotARotation(t *testing.T) {
	s := newStoreCase(t, "")
	id := conformance.RandomID("rot-")
	s.stage(t, id)
	if _, _, err := s.h.Store.Promote(t.Context(), s.ref, id); err != nil {
		t.Fatal(err)
	}
	promoted, _ := s.h.Store.Get(t.Context(), s.ref, core.Current)
	time.Sleep(time.Second) // created times are whole seconds
	manual := azkvtest.Put(t, s.c, s.ref.Path, s.initial.With("password", conformance.RandomID("by-hand-")))
	cur, err := s.h.Store.Get(t.Context(), manual, core.Current)
	if err != nil || cur.Rotation != "" {
		t.Errorf("CURRENT after a manual write: rotation %q, %v; want none", cur.Rotation, err)
	}
	prev, err := s.h.Store.Get(t.Context(), manual, core.Previous)
	if err != nil || prev.ID != promoted.ID || prev.Rotation != id {
		t.Errorf("PREVIOUS after a manual write: got %s (rotation %q), %v; want %s made by %s", prev.ID, prev.Rotation, err, promoted.ID, id)
	}
}
