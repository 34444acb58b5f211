package kestraengine

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchRuns parses ROTATE_FLEET_BENCH: comma-separated runs, each
// SECRETSxPARALLELISM ("200x8"), or SECRETS alone for one run per
// parallelism of ROTATE_FLEET_PARALLELISM ("1,2,4,8" by default).
func benchRuns(spec, pars string) ([][2]int, error) {
	if pars == "" {
		pars = "1,2,4,8"
	}
	var runs [][2]int
	for _, r := range strings.Split(spec, ",") {
		ns, ps, pair := strings.Cut(strings.TrimSpace(r), "x")
		list := []string{ps}
		if !pair {
			list = strings.Split(pars, ",")
		}
		for _, ps := range list {
			n, err1 := strconv.Atoi(ns)
			p, err2 := strconv.Atoi(strings.TrimSpace(ps))
			if err1 != nil || err2 != nil || n < 4 || p < 1 || p > 8 {
				return nil, fmt.Errorf("bad run %q: want SECRETSxPARALLELISM, at least 4 secrets, parallelism 1 to 8", r)
			}
			runs = append(runs, [2]int{n, p})
		}
	}
	return runs, nil
}

func TestBenchRuns(t *testing.T) {
	tests := []struct {
		spec, pars string
		want       string // "" for an error
	}{
		{"200x8", "", "[[200 8]]"},
		{"50x2,50x8,200x8", "", "[[50 2] [50 8] [200 8]]"},
		{"50", "2,8", "[[50 2] [50 8]]"},
		{"50", "", "[[50 1] [50 2] [50 4] [50 8]]"},
		{"50x9", "", ""},
		{"3x2", "", ""},
		{"fifty", "", ""},
	}
	for _, tt := range tests {
		got, err := benchRuns(tt.spec, tt.pars)
		if s := fmt.Sprint(got); (err != nil) != (tt.want == "") || (err == nil && s != tt.want) {
			t.Errorf("benchRuns(%q, %q) = %s, %v; want %s", tt.spec, tt.pars, s, err, tt.want)
		}
	}
}

// TestFleetThroughput measures rotate-overdue end to end in Kestra's engine,
// one fresh fleet per run of ROTATE_FLEET_BENCH (for example
// "50x2,50x8,200x8", see benchRuns), in one JVM. A benchmark, not an
// assertion on time: it runs only when ROTATE_FLEET_BENCH is set, and fails
// only on wrong results (anything but n-2 rotated and the planted failure
// at deploy with exit code 2) or a value in what Kestra stored.
func TestFleetThroughput(t *testing.T) {
	spec := os.Getenv("ROTATE_FLEET_BENCH")
	if spec == "" {
		t.Skip("set ROTATE_FLEET_BENCH=50x2,50x8,200x8 (secrets x parallelism) to measure")
	}
	runs, err := benchRuns(spec, os.Getenv("ROTATE_FLEET_PARALLELISM"))
	if err != nil {
		t.Fatal(err)
	}
	k := kestra(t)
	variants := []fleetVariant{{"as shipped", "flows/rotate-overdue.yaml", fleetFlows, "deploy=2"}}
	if os.Getenv("ROTATE_FLEET_MERGED") != "" {
		variants = append(variants, mergedVariant(t))
	}
	var rows []string
	for _, r := range runs {
		for _, v := range variants {
			rows = append(rows, benchRun(t, k, v, r[0], r[1]))
			t.Log(rows[len(rows)-1])
		}
	}
	t.Logf("\n| rotate-secret | secrets | parallelism | rotated | failed | fleet execution | secrets/min | mean rotate-secret execution | of which script tasks | of which Kestra between tasks | fleet's own tasks | values found in Kestra's logs and outputs | with the harness |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n%s",
		strings.Join(rows, "\n"))
}

// fleetVariant is a fleet flow and the rotate-secret it calls, and where
// the planted failure shows (step=exit code).
type fleetVariant struct {
	name, flow string
	with       []string
	planted    string
}

// mergedVariant is rotate-overdue calling testdata/rotate-secret-merged.yaml,
// rotate-secret with its six step tasks merged into one: a measurement of
// Kestra's per-task overhead, not a shipped flow.
func mergedVariant(t *testing.T) fleetVariant {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(env.Root, "flows", "rotate-overdue.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(b), "id: rotate-overdue\n", "id: rotate-overdue-merged\n", 1)
	src = strings.ReplaceAll(src, "flowId: rotate-secret\n", "flowId: rotate-secret-merged\n")
	path := filepath.Join(t.TempDir(), "rotate-overdue-merged.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return fleetVariant{"1 merged task", path, []string{"rotators/internal/kestraengine/testdata/rotate-secret-merged.yaml"}, "rotate=2"}
}

// benchRun rotates a fresh fleet of n secrets at parallelism p through
// variant v and returns its table row.
func benchRun(t *testing.T, k *engine, v fleetVariant, n, p int) string {
	t.Helper()
	f := newFleet(t, n)
	// max_age is 1s: a secret written less than 1 s before the plan is not
	// due yet, and a warm engine plans within a second of the fleet's
	// creation (what cut a second run in one JVM short, "not due")
	time.Sleep(2 * time.Second)
	start := time.Now()
	x := k.run(t, v.flow, v.with, f.inputs(p))
	took := time.Since(start)
	s := x.summary(t)
	planted := "-"
	if len(s.Failed) == 1 {
		planted = s.Failed[0].Step + "=" + s.Failed[0].ExitCode
	}
	// the planted failure (secret 3) and the opted-out secret 0 only
	if x.State != "FAILED" || s.FailedCount != 1 || s.RotatedCount != n-2 || s.NotRun != 0 || planted != v.planted || s.SkippedCount != 1 {
		t.Errorf("%s, %d secrets, parallelism %d: got %s, %d rotated, %d failed %v, %d not run, %d skipped; want FAILED, %d, 1 at %s, 0, 1",
			v.name, n, p, x.State, s.RotatedCount, s.FailedCount, s.Failed, s.NotRun, s.SkippedCount, n-2, v.planted)
		for _, tr := range x.TaskRuns {
			if tr.Child == nil {
				t.Logf("task %s %s %v", tr.TaskID, tr.State, tr.Outputs["vars"])
			}
		}
	}
	values := append([]string{}, f.seen...)
	for _, m := range f.secrets {
		values = append(values, f.current(t, m))
	}
	checked, leaked := scan(t, x, values)
	b := breakdown(x)
	return fmt.Sprintf("| %s | %d | %d | %d | 1 (%s) | %.1f s | %.1f | %.2f s | %.2f s | %.2f s | %.1f s | %d of %d | %.1f s |",
		v.name, n, p, s.RotatedCount, planted, b.fleet.Seconds(), float64(s.RotatedCount)/b.fleet.Minutes(),
		b.child.Seconds(), b.scripts.Seconds(), (b.child - b.scripts).Seconds(), b.fleetTasks.Seconds(),
		leaked, checked, took.Seconds())
}

// timeSplit is where a fleet execution's time went, by Kestra's own task
// and execution start-to-end times.
type timeSplit struct {
	fleet      time.Duration // the fleet execution
	child      time.Duration // mean rotate-secret execution
	scripts    time.Duration // mean of its script tasks together: shell, binaries, servers
	fleetTasks time.Duration // plan, pick, record, keep and summary together
}

func breakdown(x *execution) timeSplit {
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	b := timeSplit{fleet: ms(x.DurationMs)}
	var n time.Duration
	for _, tr := range x.TaskRuns {
		switch {
		case tr.Child != nil:
			n++
			b.child += ms(tr.Child.DurationMs)
			for _, c := range tr.Child.TaskRuns {
				switch c.TaskID {
				case "stage", "deploy", "validate", "promote", "revoke", "verify_old_refused", "rollback", "rotate":
					b.scripts += ms(c.DurationMs)
				}
			}
		case tr.TaskID == "plan" || tr.TaskID == "pick" || tr.TaskID == "record" || tr.TaskID == "keep" || tr.TaskID == "summary":
			b.fleetTasks += ms(tr.DurationMs)
		}
	}
	if n > 0 {
		b.child /= n
		b.scripts /= n
	}
	return b
}
