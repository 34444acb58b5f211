package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// StoreHarness is what a store gives the suite.
type StoreHarness struct {
	Scheme string
	BinDir string
	Env    []string   // environment the binaries need (VAULT_ADDR, ...)
	Store  core.Store // the library, to inspect stages between steps
	// NewSecret creates a fresh secret holding v and returns its reference.
	NewSecret func(t testing.TB, v core.Value) core.Ref
	// ReadLatest reads the secret as an application does (latest version,
	// AWSCURRENT), with the provider's SDK rather than the store package.
	ReadLatest func(t testing.TB, ref core.Ref) core.Value
	// RaceAtMostOne, when set, says why of racing stages at most one (not
	// exactly one) proceeds on this test server; the suite then also accepts
	// none, provided a later stage succeeds.
	RaceAtMostOne string
	// Secrets are credentials of the test (tokens, admin passwords) that
	// must never appear in any output either.
	Secrets []string
	// Patterns are regular expressions of credentials the test cannot know
	// (the client token a binary got by logging in) that no output may match.
	Patterns []string
}

// NewRunner returns a runner for one test, leak-checked when it ends.
func (h StoreHarness) NewRunner(t testing.TB, extraEnv ...string) *Runner {
	r := &Runner{BinDir: h.BinDir, Env: append(append([]string{}, h.Env...), extraEnv...)}
	r.Secret(h.Secrets...)
	r.Pattern(h.Patterns...)
	t.Cleanup(func() { r.CheckLeaks(t) })
	return r
}

// RandomID returns a fresh rotation id or name suffix.
func RandomID(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Stages is what the store holds at one moment; absent stages are zero.
type Stages struct {
	Current, Pending, Previous core.Version
}

// Inspect reads every stage through the store package and registers each
// value with the runner's leak check.
func (h StoreHarness) Inspect(t testing.TB, r *Runner, ref core.Ref) Stages {
	t.Helper()
	var s Stages
	for _, x := range []struct {
		stage core.Stage
		into  *core.Version
	}{{core.Current, &s.Current}, {core.Pending, &s.Pending}, {core.Previous, &s.Previous}} {
		v, err := h.Store.Get(context.Background(), ref, x.stage)
		if errors.Is(err, core.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatalf("inspect %s of %s: %v", x.stage, ref, err)
		}
		r.Secret(v.Value.Sensitive()...)
		*x.into = v
	}
	return s
}

// DBValue is an RDS-shaped secret value with a random password.
func DBValue(r *Runner, user string) core.Value {
	v, err := core.ParseValue([]byte(`{"engine":"postgres","host":"db.example.internal","port":5432,"dbname":"app"}`))
	if err != nil {
		panic(err) // constant input
	}
	pw := RandomID("initial-pw-")
	r.Secret(pw)
	return v.With("username", user).With("password", pw)
}

// StoreSuite runs the store conformance suite.
func StoreSuite(t *testing.T, h StoreHarness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h StoreHarness, r *Runner)
	}{
		{"stage_then_promote", storeStagePromote},
		{"each_step_twice", storeTwice},
		{"dry_run_writes_nothing", storeDryRun},
		{"second_rotation_refused", storeConflict},
		{"rollback", storeRollback},
		{"crash_and_resume", storeCrash},
		{"stdin_value", storeStdin},
		{"bad_input", storeBadInput},
		{"racing_stages", storeRacingStages},
		{"racing_promotes", storeRacingPromotes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h, h.NewRunner(t)) })
	}
}

func (h StoreHarness) bin(step string) string { return h.Scheme + "-" + step }

func args(ref core.Ref, rotation string, more ...string) []string {
	return append([]string{"--secret", ref.String(), "--rotation", rotation}, more...)
}

func storeStagePromote(t *testing.T, h StoreHarness, r *Runner) {
	initial := DBValue(r, "app")
	ref, id := h.NewSecret(t, initial), RandomID("rot-")
	if run := r.Must(t, 0, h.bin("stage"), args(ref, id)...); !run.Changed() || run.Outputs["pending_version"] == nil {
		t.Errorf("stage outputs: got %v, want changed true and a pending_version", run.Outputs)
	}
	s := h.Inspect(t, r, ref)
	if got := h.ReadLatest(t, ref); !got.Equal(initial) {
		t.Errorf("readers see an unvalidated value after stage")
	}
	oldPW, _ := initial.String("password")
	newPW, _ := s.Pending.Value.String("password")
	if newPW == oldPW || len(newPW) != core.DefaultPolicy.Length || s.Pending.Rotation != id {
		t.Errorf("PENDING: got password of length %d (same as before: %v), rotation %q; want a new %d-character password, rotation %q",
			len(newPW), newPW == oldPW, s.Pending.Rotation, core.DefaultPolicy.Length, id)
	}
	if !s.Pending.Value.With("password", oldPW).Equal(initial) {
		t.Errorf("stage changed fields other than password")
	}
	r.Must(t, 0, h.bin("promote"), args(ref, id)...)
	after := h.Inspect(t, r, ref)
	if !h.ReadLatest(t, ref).Equal(s.Pending.Value) || after.Current.Rotation != id {
		t.Errorf("after promote: readers do not see the new value, or CURRENT rotation is %q, want %q", after.Current.Rotation, id)
	}
	if !after.Previous.Value.Equal(initial) || !after.Pending.Value.IsZero() {
		t.Errorf("after promote: PREVIOUS is not the old value, or PENDING is left")
	}
}

func storeTwice(t *testing.T, h StoreHarness, r *Runner) {
	ref, id := h.NewSecret(t, DBValue(r, "app")), RandomID("rot-")
	r.Must(t, 0, h.bin("stage"), args(ref, id)...)
	first := h.Inspect(t, r, ref).Pending
	if run := r.Must(t, 0, h.bin("stage"), args(ref, id)...); run.Changed() {
		t.Errorf("second stage: got changed true, want false")
	}
	if second := h.Inspect(t, r, ref).Pending; !second.Value.Equal(first.Value) {
		t.Errorf("second stage replaced PENDING")
	}
	r.Must(t, 0, h.bin("promote"), args(ref, id)...)
	cur := h.Inspect(t, r, ref).Current
	if run := r.Must(t, 0, h.bin("promote"), args(ref, id)...); run.Changed() {
		t.Errorf("second promote: got changed true, want false")
	}
	if run := r.Must(t, 0, h.bin("rollback"), args(ref, id)...); run.Changed() || run.Outputs["promoted"] != true {
		t.Errorf("rollback after promote: got outputs %v, want changed false and promoted true", run.Outputs)
	}
	if again := h.Inspect(t, r, ref).Current; again.ID != cur.ID || !again.Value.Equal(first.Value) {
		t.Errorf("re-running promote or rollback moved CURRENT from %s to %s", cur.ID, again.ID)
	}
}

func storeDryRun(t *testing.T, h StoreHarness, r *Runner) {
	initial := DBValue(r, "app")
	ref, id := h.NewSecret(t, initial), RandomID("rot-")
	if run := r.Must(t, 0, h.bin("stage"), args(ref, id, "--dry-run")...); run.Changed() {
		t.Errorf("stage --dry-run: got changed true")
	}
	if s := h.Inspect(t, r, ref); !s.Pending.Value.IsZero() || !s.Current.Value.Equal(initial) {
		t.Fatalf("stage --dry-run wrote to the store")
	}
	r.Must(t, 0, h.bin("stage"), args(ref, id)...)
	pend := h.Inspect(t, r, ref).Pending
	r.Must(t, 0, h.bin("promote"), args(ref, id, "--dry-run")...)
	r.Must(t, 0, h.bin("rollback"), args(ref, id, "--dry-run")...)
	if s := h.Inspect(t, r, ref); !s.Pending.Value.Equal(pend.Value) || !s.Current.Value.Equal(initial) {
		t.Errorf("promote or rollback --dry-run changed the store")
	}
	r.Must(t, 0, h.bin("rollback"), args(ref, id)...)
}

func storeConflict(t *testing.T, h StoreHarness, r *Runner) {
	initial := DBValue(r, "app")
	ref, a, b := h.NewSecret(t, initial), RandomID("rot-a-"), RandomID("rot-b-")
	r.Must(t, 0, h.bin("stage"), args(ref, a)...)
	pend := h.Inspect(t, r, ref).Pending
	for _, step := range []string{"stage", "promote", "rollback"} {
		r.Must(t, core.ExitConflict, h.bin(step), args(ref, b)...)
	}
	if s := h.Inspect(t, r, ref); !s.Pending.Value.Equal(pend.Value) || s.Pending.Rotation != a || !s.Current.Value.Equal(initial) {
		t.Errorf("a refused rotation changed the store")
	}
	r.Must(t, 0, h.bin("rollback"), args(ref, a)...)
}

func storeRollback(t *testing.T, h StoreHarness, r *Runner) {
	initial := DBValue(r, "app")
	ref, a, b := h.NewSecret(t, initial), RandomID("rot-a-"), RandomID("rot-b-")
	r.Must(t, 0, h.bin("stage"), args(ref, a)...)
	h.Inspect(t, r, ref)
	if run := r.Must(t, 0, h.bin("rollback"), args(ref, a)...); !run.Changed() {
		t.Errorf("rollback: got changed false, want true")
	}
	if s := h.Inspect(t, r, ref); !s.Pending.Value.IsZero() || !s.Current.Value.Equal(initial) || !h.ReadLatest(t, ref).Equal(initial) {
		t.Errorf("after rollback: PENDING left or CURRENT changed")
	}
	if run := r.Must(t, 0, h.bin("rollback"), args(ref, a)...); run.Changed() {
		t.Errorf("second rollback: got changed true")
	}
	r.Must(t, 0, h.bin("stage"), args(ref, b)...)
	h.Inspect(t, r, ref)
	r.Must(t, 0, h.bin("rollback"), args(ref, b)...)
}

// crashDelays are where inside a step the process is killed: before it
// starts working, and at points spread over a typical step's run.
var crashDelays = []time.Duration{0, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}

func storeCrash(t *testing.T, h StoreHarness, r *Runner) {
	for _, step := range []string{"stage", "promote"} {
		for _, d := range crashDelays {
			t.Run(fmt.Sprintf("%s_killed_after_%s", step, d), func(t *testing.T) {
				initial := DBValue(r, "app")
				ref, id := h.NewSecret(t, initial), RandomID("rot-")
				if step == "promote" {
					r.Must(t, 0, h.bin("stage"), args(ref, id)...)
				}
				r.Kill(t, d, h.bin(step), args(ref, id)...)
				h.Inspect(t, r, ref)
				if got := h.ReadLatest(t, ref); !got.Equal(initial) && step == "stage" {
					t.Errorf("a killed stage changed what readers see")
				}
				r.Must(t, 0, h.bin("stage"), args(ref, id)...)
				pend := h.Inspect(t, r, ref).Pending
				r.Must(t, 0, h.bin("promote"), args(ref, id)...)
				s := h.Inspect(t, r, ref)
				if s.Current.Rotation != id || !s.Previous.Value.Equal(initial) || !s.Pending.Value.IsZero() {
					t.Errorf("resumed rotation: CURRENT rotation %q (want %q), PREVIOUS old value %v, PENDING left %v",
						s.Current.Rotation, id, s.Previous.Value.Equal(initial), !s.Pending.Value.IsZero())
				}
				if !pend.Value.IsZero() && !s.Current.Value.Equal(pend.Value) {
					t.Errorf("resumed rotation promoted a value other than the staged one")
				}
			})
		}
	}
}

func storeStdin(t *testing.T, h StoreHarness, r *Runner) {
	ref, id := h.NewSecret(t, DBValue(r, "app")), RandomID("rot-")
	pw, key := `q'u"o\te$`+RandomID("-"), RandomID("api-key-")
	r.Secret(pw, key)
	in := fmt.Sprintf(`{"password":%q,"api_key":%q}`, pw, key)
	if run := r.Exec(t, in, h.bin("stage"), args(ref, id, "--stdin")...); run.Code != 0 {
		t.Fatalf("stage --stdin: %s", run)
	}
	p := h.Inspect(t, r, ref).Pending.Value
	gotPW, _ := p.String("password")
	gotKey, _ := p.String("api_key")
	gotUser, _ := p.String("username")
	if gotPW != pw || gotKey != key || gotUser != "app" {
		t.Errorf("stage --stdin: PENDING does not hold the given fields merged over CURRENT")
	}
	r.Must(t, 0, h.bin("rollback"), args(ref, id)...)
}
