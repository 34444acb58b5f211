package kubernetes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Check returns nil when the Secret holds creds (every configured key as
// rendered from them) and every consumer has rolled out pods made after the
// Secret last changed; ErrRejected when either is not so. It changes nothing.
func (t *Target) Check(ctx context.Context, creds core.Value) error {
	if t.err != nil {
		return t.err
	}
	data, err := t.cfg.render(creds)
	if err != nil {
		return err
	}
	sec, err := t.secret(ctx)
	if err != nil {
		return err
	}
	if !holds(sec, data) {
		return fmt.Errorf("%w: %s holds another value", core.ErrRejected, t.secretName())
	}
	changed := changedAt(sec)
	ws, err := t.consumers(ctx)
	if err != nil {
		return err
	}
	for _, w := range ws {
		s, left, err := t.rolledOut(ctx, w, changed)
		if err != nil {
			return err
		}
		if left != "" && s.failed != "" {
			left += "; it " + s.failed
		}
		if left != "" {
			return fmt.Errorf("%w: %s holds it, but consumer %s: %s", core.ErrRejected, t.secretName(), w, left)
		}
	}
	return nil
}

// Apply writes req.Want into the Secret, then restarts the consumers that
// have not restarted since the Secret last changed and waits for each
// rollout. Re-running it after it succeeded changes nothing; after it was
// stopped half-way, it restarts only what was not restarted and waits again.
func (t *Target) Apply(ctx context.Context, req core.ApplyRequest) (core.Plan, error) {
	return t.put(ctx, req)
}

// Revoke makes sure the Secret holds req.Want (CURRENT) and its consumers
// rolled out: no consumer keeps an older value. Re-running it changes nothing.
func (t *Target) Revoke(ctx context.Context, req core.ApplyRequest) (core.Plan, error) {
	return t.put(ctx, req)
}

func (t *Target) put(ctx context.Context, req core.ApplyRequest) (core.Plan, error) {
	var plan core.Plan
	if t.err != nil {
		return plan, t.err
	}
	data, err := t.cfg.render(req.Want)
	if err != nil {
		return plan, err
	}
	sec, err := t.secret(ctx)
	if err != nil {
		return plan, err
	}
	changed := changedAt(sec)
	if !holds(sec, data) {
		changed = time.Now().UTC()
		plan.Actions = append(plan.Actions, fmt.Sprintf("write keys %s of %s (version %s, rotation %s)",
			strings.Join(sortedKeys(data), ","), t.secretName(), req.Version, req.Rotation))
		plan.Changed = true
		if !req.DryRun {
			if err := t.writeSecret(ctx, sec, data, req, changed); err != nil {
				return plan, err
			}
		}
	}
	ws, err := t.consumers(ctx)
	if err != nil {
		return plan, err
	}
	for _, w := range ws {
		s, err := t.get(ctx, w)
		if err != nil {
			return plan, err
		}
		if !s.restartedAt.Before(changed) {
			continue
		}
		plan.Actions = append(plan.Actions, "restart "+w.String()+" (kubectl rollout restart) and wait for its rollout")
		plan.Changed = true
		if !req.DryRun {
			if err := t.restart(ctx, w, time.Now().UTC()); err != nil {
				return plan, err
			}
		}
	}
	if req.DryRun {
		return plan, nil
	}
	for _, w := range ws {
		if err := t.wait(ctx, w, changed); err != nil {
			return plan, err
		}
	}
	return plan, nil
}

func (t *Target) secretName() string { return "secret " + t.namespace + "/" + t.cfg.secret }

func (t *Target) secret(ctx context.Context) (*corev1.Secret, error) {
	sec := &corev1.Secret{}
	err := t.api.get(ctx, "secrets", t.cfg.secret, sec)
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("%w: %s does not exist: create it (it may be empty) with the application's manifests", core.ErrNotFound, t.secretName())
	}
	return sec, classify(err, "read "+t.secretName())
}

// writeSecret updates the Secret's keys (others are kept) and annotations,
// with its resourceVersion: a concurrent writer makes it fail (exit 5).
func (t *Target) writeSecret(ctx context.Context, sec *corev1.Secret, data map[string][]byte, req core.ApplyRequest, at time.Time) error {
	sec = sec.DeepCopy()
	if sec.Data == nil {
		sec.Data = map[string][]byte{}
	}
	for k, v := range data {
		sec.Data[k] = v
	}
	if sec.Annotations == nil {
		sec.Annotations = map[string]string{}
	}
	sec.Annotations[annoVersion] = req.Version
	sec.Annotations[annoRotation] = req.Rotation
	sec.Annotations[annoChangedAt] = at.Format(time.RFC3339Nano)
	return classify(t.api.update(ctx, sec), "write "+t.secretName())
}

// holds reports whether every key of data is in the Secret with that value.
func holds(sec *corev1.Secret, data map[string][]byte) bool {
	for k, v := range data {
		got, ok := sec.Data[k]
		if !ok || !bytes.Equal(got, v) {
			return false
		}
	}
	return true
}

// changedAt is when the target last changed the Secret's data; zero when
// it never did (the value the application's manifests put there).
func changedAt(sec *corev1.Secret) time.Time {
	at, _ := time.Parse(time.RFC3339Nano, sec.Annotations[annoChangedAt])
	return at
}

// consumers are the named workloads, then those the selector finds, once each.
func (t *Target) consumers(ctx context.Context) ([]workload, error) {
	ws := append([]workload{}, t.cfg.consumers...)
	if t.cfg.selector == "" {
		return ws, nil
	}
	seen := map[workload]bool{}
	for _, w := range ws {
		seen[w] = true
	}
	var found []workload
	var ds appsv1.DeploymentList
	if err := t.api.list(ctx, "deployments", t.cfg.selector, &ds); err != nil {
		return nil, classify(err, "list deployments")
	}
	for _, d := range ds.Items {
		found = append(found, workload{"deployment", d.Name})
	}
	var ss appsv1.StatefulSetList
	if err := t.api.list(ctx, "statefulsets", t.cfg.selector, &ss); err != nil {
		return nil, classify(err, "list statefulsets")
	}
	for _, s := range ss.Items {
		found = append(found, workload{"statefulset", s.Name})
	}
	var dss appsv1.DaemonSetList
	if err := t.api.list(ctx, "daemonsets", t.cfg.selector, &dss); err != nil {
		return nil, classify(err, "list daemonsets")
	}
	for _, d := range dss.Items {
		found = append(found, workload{"daemonset", d.Name})
	}
	for _, w := range found {
		if !seen[w] {
			seen[w] = true
			ws = append(ws, w)
		}
	}
	return ws, nil
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// classify maps an API error onto the pack's classes. The API server's
// messages name objects and verbs, never a Secret's data.
func classify(err error, what string) error {
	var ne net.Error
	switch {
	case err == nil:
		return nil
	case apierrors.IsForbidden(err), apierrors.IsUnauthorized(err):
		return fmt.Errorf("%w: %s: %v", core.ErrDenied, what, err)
	case apierrors.IsNotFound(err):
		return fmt.Errorf("%w: %s: %v", core.ErrNotFound, what, err)
	case apierrors.IsConflict(err):
		return fmt.Errorf("%w: %s: changed by someone else meanwhile; run again: %v", core.ErrConflict, what, err)
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return fmt.Errorf("%w: %s: %v", core.ErrUsage, what, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", what, err)
	case apierrors.IsTooManyRequests(err), apierrors.IsServerTimeout(err), apierrors.IsTimeout(err),
		apierrors.IsServiceUnavailable(err), apierrors.IsInternalError(err), errors.As(err, &ne):
		return fmt.Errorf("%w: %s: %v", core.ErrUnavailable, what, err)
	case core.IsCertificateError(err):
		return fmt.Errorf("%w: %s: %v", core.ErrUsage, what, err)
	}
	return fmt.Errorf("%w: %s: %v", core.ErrUnavailable, what, err)
}
