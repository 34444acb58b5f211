package awssm

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

var stageLabels = map[core.Stage]string{core.Current: labelCurrent, core.Pending: labelPending, core.Previous: labelPrevious}

// Get reads a stage by its label. A PENDING label left on the CURRENT
// version by an interrupted promote is no PENDING. Re-running changes nothing.
func (s *Store) Get(ctx context.Context, ref core.Ref, stage core.Stage) (core.Version, error) {
	out, err := s.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(secretID(ref)), VersionStage: aws.String(stageLabels[stage])})
	if err != nil {
		return core.Version{}, classify(err)
	}
	if stage == core.Pending && has(out.VersionStages, labelCurrent) {
		return core.Version{}, fmt.Errorf("%w: AWSPENDING is on the current version (promoted)", core.ErrNotFound)
	}
	return toVersion(out)
}

func toVersion(out *secretsmanager.GetSecretValueOutput) (core.Version, error) {
	if out.SecretString == nil {
		return core.Version{}, fmt.Errorf("%w: version %s has no SecretString (binary secrets are not rotated)", core.ErrUsage, aws.ToString(out.VersionId))
	}
	val, err := core.ParseValue([]byte(*out.SecretString))
	if err != nil {
		return core.Version{}, err
	}
	v := core.Version{Value: val, ID: aws.ToString(out.VersionId), Created: aws.ToTime(out.CreatedDate)}
	if l, ok := findRot(out.VersionStages); ok {
		v.Rotation, v.Strategy, v.Base = l.Rotation, l.Strategy, l.Base
	}
	// A version's CreatedDate is when it was staged; for CURRENT, the time it
	// was promoted is what readers moved on at.
	if at, ok := promotedAt(out.VersionStages); ok {
		v.Created = at
	}
	return v, nil
}

// PutPending writes the value as a new version labelled with its rotation
// (ClientRequestToken from the rotation id, so a re-run reuses the version
// an interrupted run wrote), then attaches AWSPENDING, which AWS refuses
// while another version holds it.
func (s *Store) PutPending(ctx context.Context, ref core.Ref, req core.PutRequest) (core.Version, error) {
	id := secretID(ref)
	token := core.ClientRequestToken(req.Rotation)
	body, err := req.Value.MarshalJSON()
	if err != nil {
		return core.Version{}, err
	}
	label := rotLabel{Strategy: req.Strategy, Base: req.Base, Rotation: req.Rotation}.String()
	_, err = s.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(id),
		ClientRequestToken: aws.String(token), SecretString: aws.String(string(body)), VersionStages: []string{label}})
	if err != nil && !errors.Is(classify(err), core.ErrConflict) {
		return core.Version{}, fmt.Errorf("put version: %w", classify(err))
	}
	// On a conflict the version of this rotation id exists already: an
	// earlier, interrupted run wrote it. It is reused as it is.
	if err := s.claimPending(ctx, id, token, label); err != nil {
		return core.Version{}, err
	}
	out, err := s.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id), VersionId: aws.String(token), VersionStage: aws.String(labelPending)})
	if err != nil {
		return core.Version{}, classify(err)
	}
	return toVersion(out)
}

// claimPending attaches AWSPENDING to version mine, taking it off the
// CURRENT version if a promote left it there, and never off another
// rotation's version.
func (s *Store) claimPending(ctx context.Context, id, mine, label string) error {
	stages, err := s.stages(ctx, id)
	if err != nil {
		return err
	}
	if _, ok := stages[mine]; !ok {
		return fmt.Errorf("%w: version %s of rotation is gone", core.ErrConflict, mine)
	}
	if !has(stages[mine], label) {
		// A rolled-back attempt of the same rotation id left its version unlabelled.
		if err := s.addLabel(ctx, id, label, mine); err != nil {
			return err
		}
	}
	in := &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String(id), VersionStage: aws.String(labelPending), MoveToVersionId: aws.String(mine)}
	for v, labels := range stages {
		switch {
		case !has(labels, labelPending) || v == mine:
		case has(labels, labelCurrent):
			in.RemoveFromVersionId = aws.String(v)
		default:
			return fmt.Errorf("%w: another rotation's version %s holds AWSPENDING", core.ErrConflict, v)
		}
	}
	if has(stages[mine], labelPending) {
		return nil
	}
	if _, err := s.sm.UpdateSecretVersionStage(ctx, in); err != nil {
		return fmt.Errorf("attach AWSPENDING: %w", classify(err))
	}
	return s.checkSoleHolder(ctx, id, mine)
}

// checkSoleHolder backs off if a racing stage attached AWSPENDING as well,
// which AWS refuses but moto allows: the one that sees the other gives up.
func (s *Store) checkSoleHolder(ctx context.Context, id, mine string) error {
	stages, err := s.stages(ctx, id)
	if err != nil {
		return err
	}
	for v, labels := range stages {
		if v != mine && has(labels, labelPending) && !has(labels, labelCurrent) {
			_ = s.removeLabel(ctx, id, labelPending, mine)
			return fmt.Errorf("%w: a racing rotation attached AWSPENDING to version %s", core.ErrConflict, v)
		}
	}
	return nil
}

func (s *Store) stages(ctx context.Context, id string) (map[string][]string, error) {
	d, err := s.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	if err != nil {
		return nil, classify(err)
	}
	return d.VersionIdsToStages, nil
}

func (s *Store) addLabel(ctx context.Context, id, label, version string) error {
	_, err := s.sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(id), VersionStage: aws.String(label), MoveToVersionId: aws.String(version)})
	return classify(err)
}

func (s *Store) removeLabel(ctx context.Context, id, label, version string) error {
	_, err := s.sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(id), VersionStage: aws.String(label), RemoveFromVersionId: aws.String(version)})
	return classify(err)
}
