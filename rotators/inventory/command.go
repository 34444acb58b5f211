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
		Flags: []string{"prefix", "tag", "max-age", "output-dir", "fail-on-overdue", "timeout"},
		Declared: []step.Flag{
			{Name: "prefix", Meta: "URI", Required: true, Usage: "which secrets to list: a reference prefix such as vault://secret/apps/ or awssm://apps/ (required)"},
			{Name: "tag", Meta: "K=V,...", Usage: "list only secrets carrying these tags or labels (a key alone: any value)"},
			{Name: "max-age", Meta: "AGE", Usage: "rotation period: a CURRENT older than this is overdue (90d, 36h, ...)", Default: "90d"},
			{Name: "output-dir", Meta: "DIR", Usage: "directory for the report files <store>-inventory.jsonl and .csv", Default: "."},
			{Name: "fail-on-overdue", Bool: true, Usage: "exit 4 when a secret is overdue or has a PENDING left over (default: report and exit 0)"},
		},
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

func (inv inventory) settings(f step.Flags) (settings, error) {
	scope, err := ParseScope(f.String("prefix"), inv.scheme)
	if err != nil {
		return settings{}, err
	}
	if scope.Tags, err = ParseTagFilter(f.String("tag")); err != nil {
		return settings{}, err
	}
	maxAge, err := ParseMaxAge(f.String("max-age"))
	if err != nil {
		return settings{}, err
	}
	dir := f.String("output-dir")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return settings{}, fmt.Errorf("%w: --output-dir %q is not a directory", core.ErrUsage, dir)
	}
	return settings{scope: scope, maxAge: maxAge, dir: dir}, nil
}

func (inv inventory) run(ctx context.Context, e *step.Env) (step.Result, error) {
	set, err := inv.settings(e.Flags)
	if err != nil {
		return step.Result{}, err
	}
	lister, err := inv.open(ctx)
	if err != nil {
		return step.Result{}, err
	}
	defer step.CloseStore(lister, e)
	e.Log.Info("listing", "store", inv.scheme, "prefix", e.Flags.String("prefix"), "tag", e.Flags.String("tag"), "max_age", e.Flags.String("max-age"))
	recs, err := collect(ctx, lister, set, e, time.Now)
	if err != nil {
		return step.Result{}, fmt.Errorf("list %s: %w", e.Flags.String("prefix"), err)
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
	e.Log.Info("inventory done", "store", inv.scheme, "prefix", e.Flags.String("prefix"), "total", c.Total, "overdue", c.Overdue,
		"stuck", c.Stuck, "never_rotated", c.NeverRotated, "report", base+".jsonl")
	if e.Flags.Bool("fail-on-overdue") && c.Overdue+c.Stuck > 0 {
		return step.Result{}, fmt.Errorf("%w: %d of %d secrets under %s are overdue and %d have a PENDING left over (report %s)",
			core.ErrRejected, c.Overdue, c.Total, e.Flags.String("prefix"), c.Stuck, base+".jsonl")
	}
	tags := map[string]string{"store": inv.scheme}
	return step.Result{
		Outputs: map[string]any{"store": inv.scheme, "prefix": e.Flags.String("prefix"), "max_age": e.Flags.String("max-age"), "total": c.Total,
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
