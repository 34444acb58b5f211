package awsiam

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

// Revoke is awsiam-revoke: deactivate the PREVIOUS key and delete it once
// GetAccessKeyLastUsed shows no use during the grace period.
func Revoke() step.Command {
	return step.Command{
		Name:    "awsiam-revoke",
		Summary: "deactivate the PREVIOUS access key, and delete it once unused for --grace",
		Details: `Runs only after this rotation was promoted. The PREVIOUS key is made Inactive; it
is deleted when GetAccessKeyLastUsed shows no use within --grace (default 0s:
delete at once). Used more recently, it stays Inactive (re-run later to delete it;
until then the next awsiam-deploy refuses and names it). With --expect-unused a
recent use makes it refuse (exit 5) without changing anything. Re-running after it
succeeded changes nothing.`,
		Flags: []string{"secret", "rotation", "grace", "expect-unused", "dry-run", "timeout"},
		// IAM records a key's last use, not sessions: --grace is a window.
		Declared: []step.Flag{{Name: "grace", Meta: "DURATION",
			Usage: "delete the PREVIOUS key only when it was not used for this long; used more recently, it stays Inactive"},
			{Name: "expect-unused", Bool: true, Usage: "refuse (exit 5) when the PREVIOUS key was used within --grace"}},
		Run: run(func(ctx context.Context, t *Target, s *step.Secrets, e *step.Env) (step.Result, error) {
			return t.revoke(ctx, s, e)
		}),
	}
}

func (t *Target) revoke(ctx context.Context, s *step.Secrets, e *step.Env) (step.Result, error) {
	cur, err := s.Must(ctx, core.Current)
	if err != nil {
		return step.Result{}, err
	}
	if cur.Rotation != e.Opts.Rotation {
		return step.Result{}, fmt.Errorf("%w: CURRENT of %s was not made by rotation %s (promote it first)", core.ErrUsage, s.Ref(), e.Opts.Rotation)
	}
	user, _ := cur.Value.String(fieldUser)
	curKey, _ := cur.Value.String(fieldKeyID)
	prev, ok, err := s.Get(ctx, core.Previous)
	if err != nil {
		return step.Result{}, err
	}
	prevKey, _ := prev.Value.String(fieldKeyID)
	outs := map[string]any{"user": user, "previous_access_key_id": prevKey}
	if !ok || prevKey == "" || prevKey == curKey {
		e.Audit("no PREVIOUS key; nothing to revoke", "user", user, "changed", false)
		return step.Result{Outputs: outs}, nil
	}
	keys, err := t.keys(ctx, user)
	if err != nil {
		return step.Result{}, err
	}
	i := indexKey(keys, prevKey)
	if i < 0 {
		e.Audit("PREVIOUS key already deleted; nothing to do", "user", user, "access_key_id", prevKey, "changed", false)
		outs["deleted"] = true
		return step.Result{Outputs: outs}, t.clearTag(ctx, user)
	}
	last, err := t.lastUsed(ctx, user, prevKey)
	if err != nil {
		return step.Result{}, err
	}
	recent := !last.IsZero() && time.Since(last) < e.Opts.Grace
	if recent && e.Flags.Bool("expect-unused") {
		return step.Result{}, fmt.Errorf("%w: PREVIOUS key %s was used at %s, within --grace %s; nothing changed", core.ErrConflict, prevKey, last.UTC().Format(time.RFC3339), e.Opts.Grace)
	}
	return t.retire(ctx, e, user, keys[i], last, recent, outs)
}

// retire deactivates the key and deletes it unless it was used recently.
func (t *Target) retire(ctx context.Context, e *step.Env, user string, k accessKey, last time.Time, recent bool, outs map[string]any) (step.Result, error) {
	verb, changed := "did", false
	if e.Opts.DryRun {
		verb = "plan"
	}
	if k.Active {
		e.Log.Info(verb+": deactivate PREVIOUS access key "+k.ID, "user", user)
		if !e.Opts.DryRun {
			if err := t.setStatus(ctx, user, k.ID, false); err != nil {
				return step.Result{}, err
			}
			changed = true
		}
	}
	if recent {
		e.Log.Info(fmt.Sprintf("kept access key %s Inactive: last used %s, within --grace %s; re-run after %s to delete it",
			k.ID, last.UTC().Format(time.RFC3339), e.Opts.Grace, last.Add(e.Opts.Grace).UTC().Format(time.RFC3339)), "user", user)
		outs["deleted"] = false
	} else {
		e.Log.Info(verb+": delete PREVIOUS access key "+k.ID+" (no use within --grace)", "user", user)
		if !e.Opts.DryRun {
			if err := t.deleteKey(ctx, user, k.ID); err != nil {
				return step.Result{}, err
			}
			if err := t.clearTag(ctx, user); err != nil {
				return step.Result{}, err
			}
			changed = true
		}
		outs["deleted"] = !e.Opts.DryRun
	}
	if !e.Opts.DryRun {
		e.Audit("revoked", "user", user, "access_key_id", k.ID, "changed", changed)
	}
	return step.Result{Changed: changed, Outputs: outs}, nil
}

func (t *Target) lastUsed(ctx context.Context, user, id string) (time.Time, error) {
	out, err := t.iam.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
	if err != nil {
		return time.Time{}, fmt.Errorf("last use of access key %s of %q: %w", id, user, classify(err))
	}
	if out.AccessKeyLastUsed == nil {
		return time.Time{}, nil
	}
	return aws.ToTime(out.AccessKeyLastUsed.LastUsedDate), nil
}

func indexKey(keys []accessKey, id string) int {
	for i, k := range keys {
		if k.ID == id {
			return i
		}
	}
	return -1
}
