package conformance

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/inventory"
)

// InventoryHarness is what InventorySuite needs of a store: the store
// harness (binaries, least-privilege environment, the library to read the
// values that must not leak) and secrets made under a fresh prefix.
type InventoryHarness struct {
	StoreHarness
	// Prefix is the --prefix of the inventory, e.g. vault://secret/inv-1a2b/.
	Prefix string
	// Create makes secret number i under Prefix holding v.
	Create func(t testing.TB, i int, v core.Value) core.Ref
	// Outside makes a secret whose name starts like Prefix's but is not under it.
	Outside func(t testing.TB, v core.Value) core.Ref
	// Count is how many secrets to make under Prefix (at least 60).
	Count int
	// Tag sets a tag (Vault custom_metadata, AWS or Azure tag, GCP label)
	// on a secret made by Create.
	Tag func(t testing.TB, ref core.Ref, key, value string)
}

// invState is what a secret of the scenario is meant to be.
type invState struct {
	overdue, stuck, rotated bool
	rotation                string
}

// invScenario makes Count secrets in mixed states, really rotating some with
// the binaries: group A rotated long ago, B stuck (staged, never promoted,
// as an interrupted rotation leaves it), C rotated recently, D never rotated
// and old, E never rotated and new. "Long ago" is before a cut taken between
// the two phases; the inventory then runs with --max-age = the time since
// the cut, so A, B and D are overdue and C and E are not.
func invScenario(t *testing.T, h InventoryHarness, r *Runner) (want map[string]invState, maxAge string) {
	const a, b, c = 10, 10, 10
	e := h.Count / 3
	refs := make([]core.Ref, h.Count)
	parallel(8, h.Count-e, func(i int) { refs[i] = h.Create(t, i, DBValue(r, "app")) })
	h.Outside(t, DBValue(r, "app"))
	want = map[string]invState{}
	for i := range h.Count - e {
		want[refs[i].String()] = invState{overdue: true}
	}
	var mu sync.Mutex
	rotate := func(i int, promote bool) {
		id := RandomID("inv-")
		r.Must(t, 0, h.Scheme+"-stage", args(refs[i], id, "--generate", "length=24")...)
		if promote {
			r.Must(t, 0, h.Scheme+"-promote", args(refs[i], id)...)
		}
		h.Inspect(t, r, refs[i]) // every value, for the leak check
		mu.Lock()
		defer mu.Unlock()
		s := want[refs[i].String()]
		s.rotation, s.rotated, s.stuck = id, promote, !promote
		want[refs[i].String()] = s
	}
	parallel(4, a+b, func(i int) { rotate(i, i < a) })
	time.Sleep(1200 * time.Millisecond)
	cut := time.Now()
	time.Sleep(1600 * time.Millisecond) // > 1s: AWS and Azure times are whole seconds
	parallel(8, e, func(i int) { refs[h.Count-e+i] = h.Create(t, h.Count-e+i, DBValue(r, "app")) })
	for i := h.Count - e; i < h.Count; i++ {
		want[refs[i].String()] = invState{}
	}
	parallel(4, c, func(i int) { rotate(a+b+i, true) })
	for i := a + b; i < a+b+c; i++ {
		s := want[refs[i].String()]
		s.overdue = false
		want[refs[i].String()] = s
	}
	return want, time.Since(cut).Round(time.Millisecond).String()
}

// parallel runs fn(0..n-1) on at most workers goroutines.
func parallel(workers, n int, fn func(i int)) {
	_ = inventory.ForEach(context.Background(), workers, n, func(_ context.Context, i int) error { fn(i); return nil })
}

// InventorySuite runs <store>-inventory against a few hundred secrets in
// mixed states and checks every line of the report, the counts, the exit
// codes and that no value reached any output or report file.
func InventorySuite(t *testing.T, h InventoryHarness) {
	r := h.NewRunner(t)
	start := time.Now()
	want, maxAge := invScenario(t, h, r)
	t.Logf("scenario: %d secrets in %s", len(want), time.Since(start).Round(time.Millisecond))
	dir := t.TempDir()
	bin := h.Scheme + "-inventory"
	run := r.Must(t, 0, bin, "--prefix", h.Prefix, "--max-age", maxAge, "--output-dir", dir)
	t.Logf("inventory: %s", time.Since(start).Round(time.Millisecond))
	recs := readReport(t, filepath.Join(dir, bin+".jsonl"))
	checkRecords(t, want, recs)
	wantCounts := map[string]int{"total": len(want), "overdue": 0, "stuck": 0}
	for _, s := range want {
		if s.overdue {
			wantCounts["overdue"]++
		}
		if s.stuck {
			wantCounts["stuck"]++
		}
	}
	for k, n := range wantCounts {
		if got := fmt.Sprint(run.Outputs[k]); got != fmt.Sprint(n) {
			t.Errorf("output %s: got %s, want %d", k, got, n)
		}
	}
	if !strings.Contains(run.Stdout, "msg=progress listed=") {
		t.Errorf("no progress line for %d secrets:\n%s", len(want), run.Stdout)
	}
	checkCSV(t, filepath.Join(dir, bin+".csv"), len(want))
	fail := r.Exec(t, "", bin, "--prefix", h.Prefix, "--max-age", maxAge, "--output-dir", dir, "--fail-on-overdue")
	// Run later, with the same --max-age: more may be overdue by now.
	if fail.Code != core.ExitRejected || !strings.Contains(fail.Stderr, fmt.Sprintf(" of %d secrets", len(want))) {
		t.Errorf("--fail-on-overdue: got exit %d, stderr %q; want %d naming the counts", fail.Code, fail.Stderr, core.ExitRejected)
	}
	checkReportLeaks(t, r, dir)
}

func checkRecords(t *testing.T, want map[string]invState, recs []inventory.Record) {
	t.Helper()
	if len(recs) != len(want) {
		t.Errorf("report: got %d lines, want %d (one per secret under the prefix, none outside)", len(recs), len(want))
	}
	for _, rec := range recs {
		w, ok := want[rec.Secret]
		switch {
		case !ok:
			t.Errorf("report lists %s, which is not under the prefix or not the test's", rec.Secret)
		case rec.Overdue != w.overdue:
			t.Errorf("%s: overdue got %v, want %v (current_since %v, next_due %v)", rec.Secret, rec.Overdue, w.overdue, rec.CurrentSince, rec.NextDue)
		case rec.PendingLeftOver != w.stuck || w.stuck && rec.PendingRotation != w.rotation:
			t.Errorf("%s: pending_left_over %v rotation %q, want %v %q", rec.Secret, rec.PendingLeftOver, rec.PendingRotation, w.stuck, w.rotation)
		case w.rotated && (rec.Rotation != w.rotation || rec.LastRotated == nil || rec.Strategy != "single" || rec.Versions < 2):
			t.Errorf("%s: got rotation %q at %v strategy %q versions %d, want %q, a time, single, 2+", rec.Secret, rec.Rotation, rec.LastRotated, rec.Strategy, rec.Versions, w.rotation)
		case !w.rotated && (rec.Rotation != "" || rec.LastRotated != nil):
			t.Errorf("%s: never rotated, got rotation %q at %v", rec.Secret, rec.Rotation, rec.LastRotated)
		case rec.Created == nil || rec.CurrentSince == nil || rec.NextDue == nil || rec.CurrentVersion == "" || rec.Versions < 1:
			t.Errorf("%s: missing facts: %+v", rec.Secret, rec)
		}
	}
}

// checkReportLeaks scans the report files like every binary's output.
func checkReportLeaks(t *testing.T, r *Runner, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("output dir holds %d files, want the two reports (no temporary file left)", len(entries))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for s := range r.secrets {
			for _, form := range leakForms(s) {
				if strings.Contains(string(b), form) {
					t.Errorf("leak: a secret value appears in the report %s", e.Name())
				}
			}
		}
	}
}

func readReport(t *testing.T, path string) []inventory.Record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	var recs []inventory.Record
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var rec inventory.Record
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("report line %q: %v", line, err)
		}
		recs = append(recs, rec)
	}
	return recs
}

func checkCSV(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("csv report: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != n+1 || rows[0][0] != "secret" {
		t.Errorf("csv report: got %d rows (%v), want a header and %d rows", len(rows), err, n)
	}
}

// InventoryTagSuite checks --tag: four secrets, two tagged team=orders, one
// team=billing, one untagged.
func InventoryTagSuite(t *testing.T, h InventoryHarness) {
	r := h.NewRunner(t)
	for i, team := range []string{"orders", "billing", "", "orders"} {
		ref := h.Create(t, i, DBValue(r, "app"))
		if team != "" {
			h.Tag(t, ref, "team", team)
		}
	}
	tests := []struct{ tag, want string }{{"team=orders", "2"}, {"team", "3"}, {"team=nobody", "0"}, {"", "4"}}
	for _, tc := range tests {
		run := r.Must(t, 0, h.Scheme+"-inventory", "--prefix", h.Prefix, "--tag", tc.tag, "--output-dir", t.TempDir())
		if got := fmt.Sprint(run.Outputs["total"]); got != tc.want {
			t.Errorf("--tag %q: got %s secrets, want %s", tc.tag, got, tc.want)
		}
	}
}
