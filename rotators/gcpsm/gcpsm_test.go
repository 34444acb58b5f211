package gcpsm_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm"
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm/gcpsmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

// env is the Secret Manager test double and the built binaries; empty under -short.
var env testsrv.Env

func TestMain(m *testing.M) {
	os.Exit(testsrv.Main(m, testsrv.Needs{GCPSM: true, Binaries: true}, &env))
}

func TestStoreConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the Secret Manager test double and the binaries")
	}
	conformance.StoreSuite(t, gcpsmtest.Harness(t, env.GCPSM.Addr, env.BinDir))
}

func TestDescribeAndBadReferences(t *testing.T) {
	t.Setenv(gcpsm.EndpointEnv, "127.0.0.1:1")
	st, err := gcpsm.Open(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref  string
		want string // Describe, or "" for a reference that is refused
	}{
		{"gcpsm://my-project/db", "gcp secret manager 127.0.0.1:1 (loopback, no TLS) projects/my-project/secrets/db (PENDING in projects/my-project/secrets/db-pending)"},
		// PENDING's name is derived: an option naming another secret is refused,
		// and so is a sibling named as the secret to rotate.
		{"gcpsm://my-project/orders-db?pending=billing-db", ""},
		{"gcpsm://my-project/db?pending=db", ""},
		{"gcpsm://my-project/billing-db-pending", ""},
		{"gcpsm://My_Project/db", ""},
		{"gcpsm://my-project/a/b", ""},
		{"gcpsm://my-project", ""},
		{"gcpsm://my-project/db.x", ""},
		// Length limits, checked apart from the patterns.
		{"gcpsm://" + strings.Repeat("p", 63) + "/" + strings.Repeat("s", 247), "gcp secret manager 127.0.0.1:1 (loopback, no TLS) projects/" + strings.Repeat("p", 63) + "/secrets/" + strings.Repeat("s", 247) + " (PENDING in projects/" + strings.Repeat("p", 63) + "/secrets/" + strings.Repeat("s", 247) + "-pending)"},
		{"gcpsm://my-project/" + strings.Repeat("s", 248), ""},
		{"gcpsm://" + strings.Repeat("p", 64) + "/db", ""},
		{"gcpsm://-project/db", ""},
	}
	for _, tc := range tests {
		ref, err := core.ParseRef(tc.ref)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Describe(ref); tc.want != "" && got != tc.want {
			t.Errorf("Describe(%s): got %q, want %q", tc.ref, got, tc.want)
		}
		if tc.want == "" {
			_, err := st.Get(t.Context(), ref, core.Current)
			if !errors.Is(err, core.ErrUsage) {
				t.Errorf("Get(%s): got %v, want a usage error", tc.ref, err)
			}
		}
	}
}

func TestOpenEndpoint(t *testing.T) {
	tests := []struct {
		endpoint string
		wantErr  bool
	}{
		{"127.0.0.1:9090", false},
		{"[::1]:9090", false},
		{"localhost:9090", false},
		{"no-port", true},
	}
	for _, tc := range tests {
		t.Setenv(gcpsm.EndpointEnv, tc.endpoint)
		_, err := gcpsm.Open(t.Context())
		if gotErr := err != nil; gotErr != tc.wantErr || (gotErr && !errors.Is(err, core.ErrUsage)) {
			t.Errorf("Open with %s=%q: got %v, want error %v", gcpsm.EndpointEnv, tc.endpoint, err, tc.wantErr)
		}
	}
}

// TestRollbackNeverTouchesTheSecret: after a stage and a rollback every
// version of the secret is still ENABLED and latest is unchanged (the
// latest trap); PENDING lived in the sibling only.
func TestRollbackNeverTouchesTheSecret(t *testing.T) {
	s := newStoreCase(t)
	id := conformance.RandomID("rot-")
	s.stage(t, id)
	if got := gcpsmtest.ReadLatest(t, s.c, s.ref); !got.Equal(s.initial) {
		t.Error("readers of latest see PENDING")
	}
	if changed, err := s.h.Store.DiscardPending(t.Context(), s.ref, id); err != nil || !changed {
		t.Fatalf("discard: changed %v, %v", changed, err)
	}
	v, err := s.c.GetSecretVersion(t.Context(), &secretmanagerpb.GetSecretVersionRequest{Name: s.name + "/versions/latest"})
	if err != nil || !strings.HasSuffix(v.Name, "/versions/1") || v.State != secretmanagerpb.SecretVersion_ENABLED {
		t.Errorf("latest after rollback: %v (%v), %v; want version 1 ENABLED", v.GetName(), v.GetState(), err)
	}
}

// TestPromoteRecordsFactsAndAlias: promote records the rotation in the
// secret's annotations and points alias "previous" at the old version; a
// version added by hand afterwards is not taken for a rotation.
func TestPromoteRecordsFactsAndAlias(t *testing.T) {
	s := newStoreCase(t)
	id := conformance.RandomID("rot-")
	s.stage(t, id)
	if _, _, err := s.h.Store.Promote(t.Context(), s.ref, id); err != nil {
		t.Fatal(err)
	}
	sec, err := s.c.GetSecret(t.Context(), &secretmanagerpb.GetSecretRequest{Name: s.name})
	if err != nil {
		t.Fatal(err)
	}
	if an := sec.Annotations; an["rotation_id"] != id || an["rotation_version"] != "2" || sec.VersionAliases["previous"] != 1 {
		t.Errorf("annotations %v, aliases %v: want rotation %s at version 2 and previous=1", an, sec.VersionAliases, id)
	}
	data, _ := s.initial.MarshalJSON()
	if _, err := s.c.AddSecretVersion(t.Context(), &secretmanagerpb.AddSecretVersionRequest{Parent: s.name, Payload: &secretmanagerpb.SecretPayload{Data: data}}); err != nil {
		t.Fatal(err)
	}
	cur, err := s.h.Store.Get(t.Context(), s.ref, core.Current)
	if err != nil || cur.Rotation != "" || cur.ID != "3" {
		t.Errorf("CURRENT after a manual version: %s made by %q, %v; want 3 made by nobody", cur.ID, cur.Rotation, err)
	}
	if prev, err := s.h.Store.Get(t.Context(), s.ref, core.Previous); err != nil || prev.ID != "2" {
		t.Errorf("PREVIOUS after a manual version: %s, %v; want 2", prev.ID, err)
	}
}

// storeCase is a fresh secret in the test double and the store library.
type storeCase struct {
	h       conformance.StoreHarness
	c       *secretmanager.Client
	ref     core.Ref
	name    string
	initial core.Value
}

func newStoreCase(t *testing.T) storeCase {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the Secret Manager test double")
	}
	h := gcpsmtest.Harness(t, env.GCPSM.Addr, env.BinDir)
	c := gcpsmtest.Client(t, env.GCPSM.Addr)
	initial := conformance.DBValue(&conformance.Runner{}, "app")
	ref := gcpsmtest.Put(t, c, conformance.RandomID("s-"), initial)
	return storeCase{h: h, c: c, ref: ref, name: "projects/" + ref.Host + "/secrets/" + ref.Path, initial: initial}
}

func (s storeCase) stage(t *testing.T, id string) {
	t.Helper()
	cur, err := s.h.Store.Get(t.Context(), s.ref, core.Current)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.h.Store.PutPending(t.Context(), s.ref, core.PutRequest{Rotation: id, Strategy: core.Single, Base: cur.ID,
		Value: cur.Value.With("password", conformance.RandomID("pw-"))}); err != nil {
		t.Fatalf("stage %s: %v", id, err)
	}
}
