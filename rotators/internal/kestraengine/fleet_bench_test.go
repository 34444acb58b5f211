package kestraengine

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFleetThroughput measures rotate-overdue end to end in Kestra's engine:
// secrets rotated per minute for fleets of ROTATE_FLEET_BENCH sizes (for
// example "50,200") at parallelism ROTATE_FLEET_PARALLELISM ("1,2,4,8").
// A benchmark, not an assertion on time: it runs only when
// ROTATE_FLEET_BENCH is set, and fails only on wrong results.
func TestFleetThroughput(t *testing.T) {
	sizes := os.Getenv("ROTATE_FLEET_BENCH")
	if sizes == "" {
		t.Skip("set ROTATE_FLEET_BENCH=50,200 (and ROTATE_FLEET_PARALLELISM=1,2,4,8) to measure")
	}
	pars := os.Getenv("ROTATE_FLEET_PARALLELISM")
	if pars == "" {
		pars = "1,2,4,8"
	}
	k := kestra(t)
	var rows []string
	for _, ns := range strings.Split(sizes, ",") {
		for _, ps := range strings.Split(pars, ",") {
			n, err1 := strconv.Atoi(ns)
			p, err2 := strconv.Atoi(ps)
			if err1 != nil || err2 != nil || n < 4 {
				t.Fatalf("bad size %q or parallelism %q", ns, ps)
			}
			f := newFleet(t, n)
			start := time.Now()
			x := k.run(t, "flows/rotate-overdue.yaml", fleetFlows, f.inputs(p))
			s := x.summary(t)
			// the planted failure (secret 3) and the opted-out secret 0 only
			if x.State != "FAILED" || s.FailedCount != 1 || s.RotatedCount != n-2 {
				t.Errorf("%d secrets, parallelism %d: got %s, %d rotated, %d failed %v; want FAILED, %d, 1", n, p, x.State, s.RotatedCount, s.FailedCount, s.Failed, n-2)
				for _, tr := range x.TaskRuns {
					if tr.Child == nil {
						t.Logf("task %s %s %v", tr.TaskID, tr.State, tr.Outputs["vars"])
					}
				}
				for _, l := range x.Logs {
					if l.Level != "INFO" || l.TaskID == "pick" || l.TaskID == "record" {
						t.Logf("log %s %s %.300s", l.TaskID, l.Level, l.Message)
					}
				}
			}
			var child time.Duration
			for _, c := range x.children() {
				child += time.Duration(c.DurationMs) * time.Millisecond
			}
			kestraTime := time.Duration(x.DurationMs) * time.Millisecond
			rows = append(rows, fmt.Sprintf("| %d | %d | %d | %d | %.1f s | %.1f | %.2f s | %.1f s |", n, p, s.RotatedCount, s.FailedCount,
				kestraTime.Seconds(), float64(s.RotatedCount)/kestraTime.Minutes(), (child/time.Duration(max(1, len(x.children())))).Seconds(),
				time.Since(start).Seconds()))
			t.Log(rows[len(rows)-1])
		}
	}
	t.Logf("\n| secrets | parallelism | rotated | failed | execution (Kestra) | secrets/min | mean rotate-secret execution | with the harness |\n|---|---|---|---|---|---|---|---|\n%s", strings.Join(rows, "\n"))
}
