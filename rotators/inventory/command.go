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
check rejected the credentials) once the report is written.

With --plan overdue (or all), also appends to rotation-plan.jsonl in
--output-dir what the fleet flows rotate: each overdue or stuck (or every)
secret opted in with the tags rotation-auto=true, rotation-target,
rotation-admin and rotation-strategy, and why each other one is skipped; the
Kestra outputs plan and skipped then hold the whole file (every store listed
by the task so far). A PENDING older than --stuck-after is stuck: the plan
names its rotation, rolled back before the new one.`,
		Flags: []string{"prefix", "tag", "max-age", "output-dir", "fail-on-overdue", "plan", "stuck-after", "timeout"},
		Declared: []step.Flag{
			{Name: "prefix", Meta: "URI", Required: true, Usage: "which secrets to list: a reference prefix such as vault://secret/apps/ or awssm://apps/ (required)"},
			{Name: "tag", Meta: "K=V,...", Usage: "list only secrets carrying these tags or labels (a key alone: any value)"},
			{Name: "max-age", Meta: "AGE", Usage: "rotation period: a CURRENT older than this is overdue (90d, 36h, ...)", Default: "90d"},
			{Name: "output-dir", Meta: "DIR", Usage: "directory for the report files <store>-inventory.jsonl and .csv", Default: "."},
			{Name: "plan", Meta: "MODE", Usage: "also plan unattended rotations of the opted-in secrets (tag rotation-auto=true): overdue (overdue or stuck ones) or all; appends to rotation-plan.jsonl in --output-dir"},
			{Name: "stuck-after", Meta: "AGE", Usage: "with --plan: a PENDING older than this is stuck and is rolled back before the rotation; a younger one is a rotation in progress, skipped", Default: "3h"},
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
	scope      Scope
	maxAge     time.Duration
	dir        string
	plan       string
	stuckAfter time.Duration
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
	plan, err := ParsePlanMode(f.String("plan"))
	if err != nil {
		return settings{}, err
	}
	stuckAfter, err := ParseMaxAge(f.String("stuck-after"))
	if err != nil {
		return settings{}, fmt.Errorf("--stuck-after: %w", err)
	}
	return settings{scope: scope, maxAge: maxAge, dir: dir, plan: plan, stuckAfter: stuckAfter}, nil
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
	recs, facts, err := collect(ctx, lister, set, e, time.Now)
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
	outputs := map[string]any{"store": inv.scheme, "prefix": e.Flags.String("prefix"), "max_age": e.Flags.String("max-age"), "total": c.Total,
		"overdue": c.Overdue, "stuck": c.Stuck, "never_rotated": c.NeverRotated,
		"report_jsonl": inv.scheme + "-inventory.jsonl", "report_csv": inv.scheme + "-inventory.csv"}
	if set.plan != "" {
		now, items := time.Now(), make([]PlanItem, len(recs))
		for i := range recs {
			items[i] = Plan(inv.scheme, facts[i], recs[i], set.plan, now, set.stuckAfter)
		}
		todo, skipped, err := appendPlan(set.dir, items)
		if err != nil {
			return step.Result{}, err
		}
		e.Log.Info("plan", "store", inv.scheme, "mode", set.plan, "to_rotate", len(todo), "skipped", len(skipped), "plan", PlanFile)
		logSkipped(e, skipped)
		overdue := []string{}
		for _, it := range skipped {
			if it.Overdue {
				overdue = append(overdue, it.Secret)
			}
		}
		outputs["plan"], outputs["skipped"], outputs["count"], outputs["skipped_overdue"] = todo, skipped, len(todo), overdue
	}
	return step.Result{
		Outputs: outputs,
		Metrics: []kestra.Metric{kestra.Counter("inventory.secrets", float64(c.Total), tags),
			kestra.Counter("inventory.overdue", float64(c.Overdue), tags), kestra.Counter("inventory.stuck", float64(c.Stuck), tags)},
	}, nil
}

// collect lists the scope, keeps the secrets the tag filter matches, judges
// each as of the start of the listing (one instant for the whole report,
// however long the listing takes) and sorts them by reference.
func collect(ctx context.Context, l Lister, set settings, e *step.Env, clock func() time.Time) ([]Record, []Facts, error) {
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
		return nil, nil, err
	}
	sort.Slice(facts, func(i, j int) bool { return facts[i].Secret < facts[j].Secret })
	recs := make([]Record, len(facts))
	for i, f := range facts {
		recs[i] = NewRecord(f, now, set.maxAge)
	}
	return recs, facts, nil
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
