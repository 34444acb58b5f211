package conformance

import (
	"fmt"
	"sync"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

func storeBadInput(t *testing.T, h StoreHarness, r *Runner) {
	ref := h.NewSecret(t, DBValue(r, "app"))
	missing, err := core.ParseRef(ref.String() + "-never-created")
	if err != nil {
		t.Fatal(err)
	}
	id := RandomID("rot-")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"absent secret", args(missing, id), core.ExitUsage},
		{"wrong scheme", []string{"--secret", "nosuch://x/y", "--rotation", id}, core.ExitUsage},
		{"no rotation", []string{"--secret", ref.String()}, core.ExitUsage},
		{"bad rotation", []string{"--secret", ref.String(), "--rotation", "a b"}, core.ExitUsage},
		{"bad policy", args(ref, id, "--generate", "length=3"), core.ExitUsage},
		{"bad strategy", args(ref, id, "--strategy", "sideways"), core.ExitUsage},
		{"unknown flag", args(ref, id, "--frobnicate"), core.ExitUsage},
		{"stray argument", args(ref, id, "extra"), core.ExitUsage},
		{"non-JSON stdin", args(ref, id, "--stdin"), core.ExitUsage},
	}
	for _, tc := range tests {
		run := r.Exec(t, "not json", h.bin("stage"), tc.args...)
		if run.Code != tc.want || len(run.Stderr) == 0 {
			t.Errorf("%s: got exit %d and stderr %q, want exit %d and an error line", tc.name, run.Code, run.Stderr, tc.want)
		}
	}
	r.Must(t, core.ExitUsage, h.bin("promote"), args(ref, id)...)
	if run := r.Must(t, core.ExitUsage, h.bin("get"), "--secret", ref.String(), "--stage", "current"); run.Stdout != "" {
		t.Errorf("get run by hand printed %q, want nothing", run.Stdout)
	}
	if s := h.Inspect(t, r, ref); !s.Pending.Value.IsZero() {
		t.Errorf("bad input left a PENDING value")
	}
}

func storeRacingStages(t *testing.T, h StoreHarness, r *Runner) {
	ref := h.NewSecret(t, DBValue(r, "app"))
	const n = 4
	runs := make([]Run, n)
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		ids[i] = RandomID(fmt.Sprintf("rot-%d-", i))
		wg.Add(1)
		go func() { defer wg.Done(); runs[i] = r.Exec(t, "", h.bin("stage"), args(ref, ids[i])...) }()
	}
	wg.Wait()
	winners := 0
	s := h.Inspect(t, r, ref)
	for i, run := range runs {
		switch run.Code {
		case 0:
			winners++
			if s.Pending.Rotation != ids[i] {
				t.Errorf("stage of %s exited 0 but PENDING belongs to %s", ids[i], s.Pending.Rotation)
			}
		case core.ExitConflict:
		default:
			t.Errorf("racing stage: %s", run)
		}
	}
	switch {
	case winners == 1:
		r.Must(t, 0, h.bin("rollback"), args(ref, s.Pending.Rotation)...)
	case winners == 0 && h.RaceAtMostOne != "":
		t.Logf("racing stages: none proceeded (%s)", h.RaceAtMostOne)
		if !s.Pending.Value.IsZero() {
			t.Errorf("racing stages: all refused but PENDING of %s is left", s.Pending.Rotation)
		}
		r.Must(t, 0, h.bin("stage"), args(ref, ids[0])...)
		h.Inspect(t, r, ref)
		r.Must(t, 0, h.bin("rollback"), args(ref, ids[0])...)
	default:
		t.Errorf("racing stages: got %d winners, want exactly 1", winners)
	}
}

func storeRacingPromotes(t *testing.T, h StoreHarness, r *Runner) {
	initial := DBValue(r, "app")
	ref, id := h.NewSecret(t, initial), RandomID("rot-")
	r.Must(t, 0, h.bin("stage"), args(ref, id)...)
	before := h.Inspect(t, r, ref)
	runs := make([]Run, 2)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		go func() { defer wg.Done(); runs[i] = r.Exec(t, "", h.bin("promote"), args(ref, id)...) }()
	}
	wg.Wait()
	ok := 0
	for _, run := range runs {
		if run.Code == 0 {
			ok++
		} else if run.Code != core.ExitConflict {
			t.Errorf("racing promote: %s", run)
		}
	}
	s := h.Inspect(t, r, ref)
	if ok == 0 || s.Current.Rotation != id || !s.Current.Value.Equal(before.Pending.Value) || !s.Previous.Value.Equal(initial) {
		t.Errorf("racing promotes: %d succeeded; CURRENT rotation %q, want %q with PREVIOUS the old value", ok, s.Current.Rotation, id)
	}
}
