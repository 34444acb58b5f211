package inventory

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/kestra"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

// Progress lines are printed every progressEvery secrets or progressPeriod,
// whichever comes first, so a long listing shows it is alive.
const (
	progressEvery  = 250
	progressPeriod = 5 * time.Second
)

// Command is <scheme>-inventory.
func Command(scheme string, open Opener) step.Command {
	inv := inventory{scheme: scheme, open: open}
	return step.Command{
		Name:    scheme + "-inventory",
		Summary: "list the secrets under a prefix with their age, last rotation and left-over PENDING (never a value)",
		Details: `Writes <store>-inventory.jsonl and <store>-inventory.csv into --output-dir, one
line per secret: created, current_version, current_since (when CURRENT was
promoted or written), last_rotated, rotation, strategy, versions,
pending_left_over with pending_rotation and pending_since, next_due
(current_since + --max-age) and overdue. Kestra outputs: total, overdue,
stuck (PENDING left over), never_rotated and the report file names; metrics
inventory.secrets, inventory.overdue, inventory.stuck. Exits 0 even when
secrets are overdue, unless --fail-on-overdue is given: then exit 4 (the
check rejected the credentials) once the report is written.`,
		Flags:    []string{"prefix", "tag", "max-age", "output-dir", "fail-on-overdue", "timeout"},
		Defaults: map[string]string{"timeout": "30m"},
		Run:      inv.run,
	}
}

// inventory is the work of one <scheme>-inventory run.
type inventory struct {
	scheme string
	open   Opener
}

// settings are the checked flags.
type settings struct {
	scope  Scope
	maxAge time.Duration
	dir    string
}

func (inv inventory) settings(o step.Options) (settings, error) {
	scope, err := ParseScope(o.Prefix, inv.scheme)
	if err != nil {
		return settings{}, err
	}
	if scope.Tags, err = ParseTagFilter(o.Tag); err != nil {
		return settings{}, err
	}
	maxAge, err := ParseMaxAge(o.MaxAge)
	if err != nil {
		return settings{}, err
	}
	if st, err := os.Stat(o.OutputDir); err != nil || !st.IsDir() {
		return settings{}, fmt.Errorf("%w: --output-dir %q is not a directory", core.ErrUsage, o.OutputDir)
	}
	return settings{scope: scope, maxAge: maxAge, dir: o.OutputDir}, nil
}

func (inv inventory) run(ctx context.Context, e *step.Env) (step.Result, error) {
	set, err := inv.settings(e.Opts)
	if err != nil {
		return step.Result{}, err
	}
	lister, err := inv.open(ctx)
	if err != nil {
		return step.Result{}, err
	}
	defer step.CloseStore(lister, e)
	e.Log.Info("listing", "store", inv.scheme, "prefix", e.Opts.Prefix, "tag", e.Opts.Tag, "max_age", e.Opts.MaxAge)
	recs, err := collect(ctx, lister, set, e, time.Now)
	if err != nil {
		return step.Result{}, fmt.Errorf("list %s: %w", e.Opts.Prefix, err)
	}
	var c Counts
	for _, r := range recs {
		c.Add(r)
	}
	base := filepath.Join(set.dir, inv.scheme+"-inventory")
	if err := writeFile(base+".jsonl", recs, WriteJSONL); err != nil {
		return step.Result{}, err
	}
	if err := writeFile(base+".csv", recs, WriteCSV); err != nil {
		return step.Result{}, err
	}
	logFindings(e, recs)
	e.Log.Info("inventory done", "store", inv.scheme, "prefix", e.Opts.Prefix, "total", c.Total, "overdue", c.Overdue,
		"stuck", c.Stuck, "never_rotated", c.NeverRotated, "report", base+".jsonl")
	if e.Opts.FailOnOverdue && c.Overdue+c.Stuck > 0 {
		return step.Result{}, fmt.Errorf("%w: %d of %d secrets under %s are overdue and %d have a PENDING left over (report %s)",
			core.ErrRejected, c.Overdue, c.Total, e.Opts.Prefix, c.Stuck, base+".jsonl")
	}
	tags := map[string]string{"store": inv.scheme}
	return step.Result{
		Outputs: map[string]any{"store": inv.scheme, "prefix": e.Opts.Prefix, "max_age": e.Opts.MaxAge, "total": c.Total,
			"overdue": c.Overdue, "stuck": c.Stuck, "never_rotated": c.NeverRotated,
			"report_jsonl": inv.scheme + "-inventory.jsonl", "report_csv": inv.scheme + "-inventory.csv"},
		Metrics: []kestra.Metric{kestra.Counter("inventory.secrets", float64(c.Total), tags),
			kestra.Counter("inventory.overdue", float64(c.Overdue), tags), kestra.Counter("inventory.stuck", float64(c.Stuck), tags)},
	}, nil
}

// collect lists the scope, keeps the secrets the tag filter matches, judges
// each as of the start of the listing (one instant for the whole report,
// however long the listing takes) and sorts them by reference.
func collect(ctx context.Context, l Lister, set settings, e *step.Env, clock func() time.Time) ([]Record, error) {
	var facts []Facts
	now := clock()
	last := now
	err := l.List(ctx, set.scope, func(f Facts) error {
		if !set.scope.Tags.Match(f.Tags) {
			return nil
		}
		facts = append(facts, f)
		if n := len(facts); n%progressEvery == 0 || clock().Sub(last) >= progressPeriod {
			last = clock()
			e.Log.Info("progress", "listed", n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	recs := make([]Record, len(facts))
	for i, f := range facts {
		recs[i] = NewRecord(f, now, set.maxAge)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Secret < recs[j].Secret })
	return recs, nil
}

// logFindings names each overdue or stuck secret on its own log line, so
// the execution log says what to rotate without opening the report.
func logFindings(e *step.Env, recs []Record) {
	const limit = 50
	n := 0
	for _, r := range recs {
		if !r.Overdue && !r.PendingLeftOver {
			continue
		}
		if n++; n > limit {
			e.Log.Info("more findings in the report", "not_shown", countFindings(recs)-limit)
			return
		}
		attrs := []any{"secret", r.Secret, "overdue", r.Overdue, "next_due", ts(r.NextDue), "last_rotated", ts(r.LastRotated)}
		if r.PendingLeftOver {
			attrs = append(attrs, "pending_rotation", r.PendingRotation, "pending_since", ts(r.PendingSince))
		}
		e.Log.Info("finding", attrs...)
	}
}

func countFindings(recs []Record) int {
	n := 0
	for _, r := range recs {
		if r.Overdue || r.PendingLeftOver {
			n++
		}
	}
	return n
}
