package inventory

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

// The tags (Vault custom_metadata, AWS tags, Azure tags, GCP annotations or
// labels) by which a secret's owner opts it in to unattended rotation by
// the fleet flows (rotate-overdue, rotate-now). Nothing else is rotated:
// a secret without TagAuto=true is reported as skipped.
const (
	TagAuto     = "rotation-auto"     // "true": may be rotated unattended
	TagTarget   = "rotation-target"   // postgres, mysql or redis
	TagAdmin    = "rotation-admin"    // reference of the admin credential, in the same store
	TagStrategy = "rotation-strategy" // single (default), alternate or dual
)

// PlanFile is the plan the inventories of one task append to, in
// --output-dir: one JSON line per secret, planned or skipped.
const PlanFile = "rotation-plan.jsonl"

// PlanItem is one secret of the plan: to rotate (Why empty) or skipped
// (Why says why). It holds references and ids, never a value.
type PlanItem struct {
	Secret   string `json:"secret"`
	Store    string `json:"store"`
	Target   string `json:"target,omitempty"`
	Admin    string `json:"admin_secret,omitempty"`
	Strategy string `json:"strategy,omitempty"`
	// Stale is the rotation id of a stuck PENDING the rotation rolls back
	// first; empty when there is none.
	Stale   string `json:"stale_rotation,omitempty"`
	Overdue bool   `json:"overdue"`
	Why     string `json:"why,omitempty"`
}

// refRe is the validator of rotate-secret's secret and admin_secret inputs
// (TestRefValidator keeps them equal): a reference it refuses is skipped
// here, since Kestra would refuse to start its rotation.
var refRe = regexp.MustCompile(`^(vault://[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)+(\?pending=_[A-Za-z0-9_-]+)?|awssm://[A-Za-z0-9_+=@:-][A-Za-z0-9_.:+=@-]*(/[A-Za-z0-9_+=@:-][A-Za-z0-9_.:+=@-]*)*|azkv://[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]/[A-Za-z0-9-]+(\?expires=[0-9]+[dhms])?|gcpsm://[a-z0-9][a-z0-9-]{0,62}/[A-Za-z0-9_-]+)$`)

var (
	planTargets    = map[string]bool{"postgres": true, "mysql": true, "redis": true}
	planStrategies = map[string]bool{"single": true, "alternate": true, "dual": true}
)

// ParsePlanMode checks --plan: "" (no plan), overdue or all.
func ParsePlanMode(s string) (string, error) {
	switch s {
	case "", "overdue", "all":
		return s, nil
	}
	return "", fmt.Errorf("%w: --plan %q: want overdue or all", core.ErrUsage, s)
}

// Plan decides what happens to one secret: mode overdue takes the overdue
// or stuck ones, all takes every one; either way only a secret opted in
// with complete, well-formed tags. A PENDING younger than stuckAfter is a
// rotation in progress and is left alone; an older one is stuck and its
// rotation id becomes Stale, rolled back before the new rotation.
func Plan(scheme string, f Facts, r Record, mode string, now time.Time, stuckAfter time.Duration) PlanItem {
	it := PlanItem{Secret: f.Secret, Store: scheme, Overdue: r.Overdue}
	switch {
	case mode == "overdue" && !r.Overdue && !r.PendingLeftOver:
		it.Why = "not due"
		return it
	case f.Tags[TagAuto] != "true":
		it.Why = "not opted in (tag " + TagAuto + "=true absent)"
		return it
	}
	it.Target, it.Admin, it.Strategy = f.Tags[TagTarget], f.Tags[TagAdmin], f.Tags[TagStrategy]
	if it.Strategy == "" {
		it.Strategy = "single"
	}
	switch {
	case !refRe.MatchString(it.Secret):
		it.Why = "reference outside rotate-secret's input validator"
	case !planTargets[it.Target]:
		it.Why = fmt.Sprintf("tag %s %q: want postgres, mysql or redis", TagTarget, it.Target)
	case !strings.HasPrefix(it.Admin, scheme+"://") || !refRe.MatchString(it.Admin):
		it.Why = fmt.Sprintf("tag %s: want a %s:// reference", TagAdmin, scheme)
	case !planStrategies[it.Strategy]:
		it.Why = fmt.Sprintf("tag %s %q: want single, alternate or dual", TagStrategy, it.Strategy)
	case f.Pending && (f.PendingRot == "" || f.PendingSince.IsZero()):
		it.Why = "PENDING left over whose rotation or age is unknown: roll it back by hand"
	case f.Pending && now.Sub(f.PendingSince) < stuckAfter:
		it.Why = fmt.Sprintf("rotation %s in progress (PENDING since %s, stuck after %s)", f.PendingRot,
			f.PendingSince.UTC().Format(time.RFC3339), stuckAfter)
	case f.Pending:
		it.Stale = f.PendingRot
	}
	if it.Why != "" {
		it.Target, it.Admin, it.Strategy = "", "", ""
	}
	return it
}

// appendPlan adds items to dir's plan file and returns the whole plan, so
// that the last inventory of a task prints every store's items.
func appendPlan(dir string, items []PlanItem) (todo, skipped []PlanItem, err error) {
	path := filepath.Join(dir, PlanFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("write plan: %w", err)
	}
	defer f.Close()
	var all []PlanItem
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var it PlanItem
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			return nil, nil, fmt.Errorf("read plan %s: %w", path, err)
		}
		all = append(all, it)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read plan %s: %w", path, err)
	}
	enc := json.NewEncoder(f)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return nil, nil, fmt.Errorf("write plan: %w", err)
		}
	}
	todo, skipped = []PlanItem{}, []PlanItem{}
	for _, it := range append(all, items...) {
		if it.Why == "" {
			todo = append(todo, it)
		} else {
			skipped = append(skipped, it)
		}
	}
	return todo, skipped, nil
}

// logSkipped names each skipped secret and why, so the execution log says
// what was left alone without opening the outputs.
func logSkipped(e *step.Env, skipped []PlanItem) {
	const limit = 200
	for i, it := range skipped {
		if i == limit {
			e.Log.Info("more skipped secrets in the outputs", "not_shown", len(skipped)-limit)
			return
		}
		e.Log.Info("skipped", "secret", it.Secret, "overdue", it.Overdue, "why", it.Why)
	}
}
