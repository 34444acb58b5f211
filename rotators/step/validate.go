package step

import (
	"context"
	"errors"
	"fmt"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// TargetValidate is <target>-validate: step 4, log in and run a probe.
func TargetValidate[T core.Target](t TargetSpec[T]) Command {
	declared, names := t.declared("validate")
	return Command{
		Name:    t.Name + "-validate",
		Summary: "log in to the target with a stage of the secret and run a probe",
		Details: t.details("validate", `Exit 0 when the credential works, 4 when the target refuses it. With
--expect-reject the meaning flips: exit 0 when the target refuses the credential,
which proves an old password is dead (for example --stage previous after a
single-user rotation), and 4 when it still works. Changes nothing.`),
		Flags:    append(append([]string{"secret", "stage", "expect-reject"}, names...), "timeout"),
		Declared: declared,
		Defaults: map[string]string{"stage": "pending"},
		Run: targetRun(t, func(ctx context.Context, tg T, s *Secrets, e *Env) (Result, error) {
			return validate(ctx, tg, s, e)
		}),
	}
}

func validate(ctx context.Context, t core.Target, s *Secrets, e *Env) (Result, error) {
	stage, err := core.ParseStage(e.Opts.Stage)
	if err != nil {
		return Result{}, err
	}
	v, err := s.Must(ctx, stage)
	if err != nil {
		return Result{}, err
	}
	who := t.Describe(v.Value)
	outs := map[string]any{"stage": string(stage), "version": v.ID, "expect_reject": e.Opts.ExpectReject}
	err = t.Check(ctx, v.Value)
	switch {
	case err == nil && e.Opts.ExpectReject:
		e.Audit("still accepted", "target", who, "stage", stage, "version", v.ID, "outcome", "fail")
		return Result{}, fmt.Errorf("%w: %s credential of %s still logs in to %s", core.ErrRejected, stage, s.ref, who)
	case err == nil:
		e.Audit("accepted", "target", who, "stage", stage, "version", v.ID, "outcome", "pass")
		outs["accepted"] = true
		return Result{Outputs: outs}, nil
	case errors.Is(err, core.ErrRejected) && e.Opts.ExpectReject:
		e.Audit("refused as expected", "target", who, "stage", stage, "version", v.ID, "outcome", "pass")
		outs["accepted"] = false
		return Result{Outputs: outs}, nil
	case errors.Is(err, core.ErrRejected):
		e.Audit("refused", "target", who, "stage", stage, "version", v.ID, "outcome", "fail")
		return Result{}, fmt.Errorf("validate %s credential on %s: %w", stage, who, err)
	}
	return Result{}, fmt.Errorf("validate %s credential on %s: %w", stage, who, err)
}
