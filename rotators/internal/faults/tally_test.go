package faults

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// tally counts the faults injected per step, how the step ended, and the
// longest time a faulted step took, for the summary table.
type tally struct {
	mu   sync.Mutex
	rows map[string]*tallyRow
}

type tallyRow struct {
	faults map[fault]int
	sides  map[string]int
	exit3  int
	other  []string // "combo side fault: exit N"
	max    time.Duration
	maxAt  string // where the longest run was
}

func (ta *tally) add(step, side string, f fault, code int, took time.Duration, where string) {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	if ta.rows == nil {
		ta.rows = map[string]*tallyRow{}
	}
	r := ta.rows[step]
	if r == nil {
		r = &tallyRow{faults: map[fault]int{}, sides: map[string]int{}}
		ta.rows[step] = r
	}
	r.faults[f]++
	r.sides[side]++
	if code == 3 {
		r.exit3++
	} else {
		r.other = append(r.other, fmt.Sprintf("%s %s %s: exit %d", where, side, f, code))
	}
	if took > r.max {
		r.max, r.maxAt = took, where+" "+side+" "+string(f)
	}
}

// stepOrder is the order of the table's rows.
var stepOrder = []string{"stage", "deploy", "validate", "promote", "revoke", "rollback", "undo"}

// table renders the summary: one row per step and a total.
func (ta *tally) table() string {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%-9s %7s %5s %4s %5s %6s %5s %5s %8s  %s\n", "step", "latency", "reset", "down", "store", "target", "exit3", "other", "max", "longest run")
	var total [6]int
	for _, step := range stepOrder {
		r := ta.rows[step]
		if r == nil {
			continue
		}
		n := []int{r.faults[latency], r.faults[reset], r.faults[down], r.sides["store"], r.sides["target"], r.exit3}
		fmt.Fprintf(&b, "%-9s %7d %5d %4d %5d %6d %5d %5d %8s  %s\n", step, n[0], n[1], n[2], n[3], n[4], n[5], len(r.other), r.max.Round(10*time.Millisecond), r.maxAt)
		for i := range total {
			total[i] += n[i]
		}
	}
	others := 0
	for _, r := range ta.rows {
		others += len(r.other)
	}
	fmt.Fprintf(&b, "%-9s %7d %5d %4d %5d %6d %5d %5d\n", "total", total[0], total[1], total[2], total[3], total[4], total[5], others)
	for _, step := range stepOrder {
		if r := ta.rows[step]; r != nil {
			for _, o := range slices.Sorted(slices.Values(r.other)) {
				fmt.Fprintf(&b, "not exit 3: %s %s\n", step, o)
			}
		}
	}
	return b.String()
}
