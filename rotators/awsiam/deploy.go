package awsiam

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

// Deploy is awsiam-deploy: mint a new access key and stage it, or, with
// --stage current, undo an unpromoted rotation.
func Deploy() step.Command {
	return step.Command{
		Name:    "awsiam-deploy",
		Summary: "create a new access key for the IAM user and stage it in the store as PENDING",
		Details: `The user is the secret's "username". The new key goes to the store through its own
"<store>-stage --stdin" helper, never argv, the environment or a log. At IAM's
limit of two keys it deletes an Inactive key that is neither CURRENT nor PREVIOUS,
and otherwise refuses (exit 5) naming the key in the way. Re-running with the same
--rotation changes nothing; a key minted by a run that was killed before staging
it is found through the user tag rotation-pack/deploy and deleted.
--stage current is the undo: CURRENT's key is made Active again and the key this
rotation minted, if no stage refers to it, is deleted.`,
		Flags:    []string{"secret", "rotation", "stage", "dry-run", "timeout"},
		Defaults: map[string]string{"stage": "pending"},
		Run: run(func(ctx context.Context, t *Target, s *step.Secrets, e *step.Env) (step.Result, error) {
			return t.deploy(ctx, s, e)
		}),
	}
}

func run(fn func(context.Context, *Target, *step.Secrets, *step.Env) (step.Result, error)) func(context.Context, *step.Env) (step.Result, error) {
	return func(ctx context.Context, e *step.Env) (step.Result, error) {
		s, err := step.NewSecrets(e) // bad input first, then configuration
		if err != nil {
			return step.Result{}, err
		}
		t, err := Open(ctx)
		if err != nil {
			return step.Result{}, err
		}
		return fn(ctx, t, s, e)
	}
}

func (t *Target) deploy(ctx context.Context, s *step.Secrets, e *step.Env) (step.Result, error) {
	stage, err := core.ParseStage(e.Opts.Stage)
	if err != nil || stage == core.Previous {
		return step.Result{}, fmt.Errorf("%w: --stage %q: deploy takes pending or current", core.ErrUsage, e.Opts.Stage)
	}
	cur, err := s.Must(ctx, core.Current)
	if err != nil {
		return step.Result{}, err
	}
	user, _ := cur.Value.String(fieldUser)
	if user == "" {
		return step.Result{}, fmt.Errorf("%w: the secret has no %s field (the IAM user)", core.ErrUsage, fieldUser)
	}
	pend, hasPend, err := s.Get(ctx, core.Pending)
	if err != nil {
		return step.Result{}, err
	}
	if hasPend && pend.Rotation != e.Opts.Rotation { // the lock, for the undo too
		return step.Result{}, fmt.Errorf("%w: PENDING of %s belongs to rotation %s", core.ErrConflict, s.Ref(), pend.Rotation)
	}
	if stage == core.Current {
		return t.undo(ctx, s, e, cur, pend, hasPend)
	}
	switch {
	case hasPend:
		e.Audit("already minted and staged; nothing to do", "user", user, "pending_version", pend.ID, "changed", false)
		return step.Result{Outputs: map[string]any{"pending_version": pend.ID, "user": user}}, nil
	case cur.Rotation == e.Opts.Rotation:
		e.Audit("already promoted; nothing to deploy", "user", user, "current_version", cur.ID, "changed", false)
		return step.Result{Outputs: map[string]any{"current_version": cur.ID, "user": user}}, nil
	}
	return t.mint(ctx, s, e, cur, user)
}

// mint makes room, creates the key, records it in the user tag and stages it.
func (t *Target) mint(ctx context.Context, s *step.Secrets, e *step.Env, cur core.Version, user string) (step.Result, error) {
	known, keys, tag, err := t.keyState(ctx, s, user, cur)
	if err != nil {
		return step.Result{}, err
	}
	del, err := roomPlan(keys, known, tag, e.Opts.Rotation)
	if err != nil {
		return step.Result{}, err
	}
	verb := "did"
	if e.Opts.DryRun {
		verb = "plan"
	}
	for _, id := range del {
		e.Log.Info(verb+": delete access key "+id+" (Inactive or never staged; neither CURRENT nor PREVIOUS)", "user", user)
		if !e.Opts.DryRun {
			if err := t.deleteKey(ctx, user, id); err != nil {
				return step.Result{}, err
			}
		}
	}
	e.Log.Info(verb+": create access key and stage it as PENDING", "user", user, "store", s.Ref().String())
	if e.Opts.DryRun {
		return step.Result{Outputs: map[string]any{"user": user, "deleted_keys": strings.Join(del, ",")}}, nil
	}
	return t.create(ctx, s, e, cur, user)
}

// keyState reads what deploy and its undo decide on: the key ids that the
// given versions and the store's PREVIOUS refer to, the user's keys, and the
// deploy tag.
func (t *Target) keyState(ctx context.Context, s *step.Secrets, user string, known ...core.Version) (map[string]bool, []accessKey, deployTag, error) {
	prev, ok, err := s.Get(ctx, core.Previous)
	if err != nil {
		return nil, nil, deployTag{}, err
	}
	if ok {
		known = append(known, prev)
	}
	refs := map[string]bool{}
	for _, v := range known {
		if id, _ := v.Value.String(fieldKeyID); id != "" {
			refs[id] = true
		}
	}
	keys, err := t.keys(ctx, user)
	if err != nil {
		return nil, nil, deployTag{}, err
	}
	tag, err := t.readTag(ctx, user)
	return refs, keys, tag, err
}

func (t *Target) create(ctx context.Context, s *step.Secrets, e *step.Env, cur core.Version, user string) (step.Result, error) {
	tag := deployTag{Rotation: e.Opts.Rotation, Start: time.Now()}
	if err := t.writeTag(ctx, user, tag); err != nil {
		return step.Result{}, err
	}
	out, err := t.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		return step.Result{}, fmt.Errorf("create access key for %q: %w", user, classify(err))
	}
	keyID, secret := aws.ToString(out.AccessKey.AccessKeyId), aws.ToString(out.AccessKey.SecretAccessKey)
	e.Scrub.Add(secret)
	tag.KeyID = keyID
	if err := t.writeTag(ctx, user, tag); err != nil {
		return step.Result{}, err
	}
	staged, err := s.Stage(ctx, cur.Value.With(fieldKeyID, keyID).With(fieldSecret, secret))
	if err != nil {
		return step.Result{}, fmt.Errorf("stage the new key %s: %w", keyID, err)
	}
	pv := fmt.Sprint(staged.Outputs["pending_version"])
	e.Audit("minted and staged", "user", user, "access_key_id", keyID, "pending_version", pv, "changed", true)
	return step.Result{Changed: true, Outputs: map[string]any{"user": user, "access_key_id": keyID, "pending_version": pv}}, nil
}
