package kubernetes

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// pollEvery is how often the wait reads a rollout's status: a rollout of a
// few pods completes in well under a second on a quiet cluster.
const pollEvery = 250 * time.Millisecond

// state is what the target needs of a workload.
type state struct {
	restartedAt time.Time             // the pod template's restartedAt annotation, zero if none
	selector    *metav1.LabelSelector // its pods
	done        bool                  // the rollout is complete (kubectl rollout status)
	failed      string                // why the rollout will not complete by itself, "" if it may
	progress    string                // counts, for progress lines
}

// get reads a workload's state.
func (t *Target) get(ctx context.Context, w workload) (state, error) {
	switch w.kind {
	case "deployment":
		var d appsv1.Deployment
		if err := t.api.get(ctx, w.resource(), w.name, &d); err != nil {
			return state{}, classify(err, w.String())
		}
		return deploymentState(&d), nil
	case "statefulset":
		var s appsv1.StatefulSet
		if err := t.api.get(ctx, w.resource(), w.name, &s); err != nil {
			return state{}, classify(err, w.String())
		}
		return statefulSetState(&s), nil
	}
	var d appsv1.DaemonSet
	if err := t.api.get(ctx, w.resource(), w.name, &d); err != nil {
		return state{}, classify(err, w.String())
	}
	return daemonSetState(&d), nil
}

func restartedAt(tmpl corev1.PodTemplateSpec) time.Time {
	at, _ := time.Parse(time.RFC3339Nano, tmpl.Annotations[annoRestarted])
	return at
}

func deploymentState(d *appsv1.Deployment) state {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s, st := state{restartedAt: restartedAt(d.Spec.Template), selector: d.Spec.Selector}, d.Status
	for _, c := range st.Conditions {
		// A condition of an older generation (before the restart) is stale, as kubectl rollout status judges.
		if c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded" && st.ObservedGeneration >= d.Generation {
			s.failed = "exceeded its progress deadline"
		}
	}
	s.progress = fmt.Sprintf("%d of %d updated, %d available, %d old", st.UpdatedReplicas, want, st.AvailableReplicas, st.Replicas-st.UpdatedReplicas)
	s.done = st.ObservedGeneration >= d.Generation && st.UpdatedReplicas >= want && st.Replicas == st.UpdatedReplicas &&
		st.AvailableReplicas >= st.UpdatedReplicas
	return s
}

func statefulSetState(ss *appsv1.StatefulSet) state {
	want := int32(1)
	if ss.Spec.Replicas != nil {
		want = *ss.Spec.Replicas
	}
	s, st := state{restartedAt: restartedAt(ss.Spec.Template), selector: ss.Spec.Selector}, ss.Status
	s.progress = fmt.Sprintf("%d of %d updated, %d ready", st.UpdatedReplicas, want, st.ReadyReplicas)
	s.done = st.ObservedGeneration >= ss.Generation && st.UpdatedReplicas >= want && st.ReadyReplicas >= want &&
		st.UpdateRevision == st.CurrentRevision
	if ss.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		s.failed = "uses the OnDelete update strategy: its pods are replaced only when deleted"
	}
	return s
}

func daemonSetState(ds *appsv1.DaemonSet) state {
	s, st := state{restartedAt: restartedAt(ds.Spec.Template), selector: ds.Spec.Selector}, ds.Status
	s.progress = fmt.Sprintf("%d of %d updated, %d available", st.UpdatedNumberScheduled, st.DesiredNumberScheduled, st.NumberAvailable)
	s.done = st.ObservedGeneration >= ds.Generation && st.UpdatedNumberScheduled >= st.DesiredNumberScheduled &&
		st.NumberAvailable >= st.DesiredNumberScheduled
	if ds.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType {
		s.failed = "uses the OnDelete update strategy: its pods are replaced only when deleted"
	}
	return s
}

// restart sets the pod template's restartedAt annotation, as `kubectl
// rollout restart` does: the controller then replaces every pod.
func (t *Target) restart(ctx context.Context, w workload, at time.Time) error {
	patch := fmt.Appendf(nil, `{"spec":{"template":{"metadata":{"annotations":{%q:%q}}}}}`, annoRestarted, at.Format(time.RFC3339Nano))
	err := t.api.patch(ctx, w.resource(), w.name, patch)
	return classify(err, "restart "+w.String())
}

// rolledOut reads a consumer and reports, when it has not finished rolling
// out pods made after changed, what is left; "" when it has. It is the one
// judgement of "rolled out", shared by deploy's wait and validate.
func (t *Target) rolledOut(ctx context.Context, w workload, changed time.Time) (state, string, error) {
	s, err := t.get(ctx, w)
	if err != nil {
		return s, "", err
	}
	switch {
	case s.restartedAt.Before(changed):
		return s, "not restarted since the Secret changed", nil
	case !s.done:
		return s, "rollout in progress: " + s.progress, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(s.selector)
	if err != nil {
		return s, "", fmt.Errorf("%w: %s selector: %v", core.ErrUsage, w, err)
	}
	var pods corev1.PodList
	if err := t.api.list(ctx, "pods", sel.String(), &pods); err != nil {
		return s, "", classify(err, "list pods of "+w.String())
	}
	old := 0
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && !podIsNew(p, changed) {
			old++
		}
	}
	if old > 0 {
		return s, fmt.Sprintf("%d pod(s) older than the Secret's change", old), nil
	}
	return s, "", nil
}

// podIsNew reports whether a pod started after the Secret changed: made
// from a template restarted since (its restartedAt annotation, exact), or in
// a later second than the change. Creation times have whole seconds, and a
// Deployment's status alone is not enough (seen here: deploy found a
// Deployment created in the change's second rolled out, and validate right
// after found its status counting 2 old pods again), so a pod made in the
// change's second counts as new only with that annotation.
func podIsNew(p corev1.Pod, changed time.Time) bool {
	if at, err := time.Parse(time.RFC3339Nano, p.Annotations[annoRestarted]); err == nil && !at.Before(changed) {
		return true
	}
	return !p.CreationTimestamp.Time.Before(changed.Truncate(time.Second).Add(time.Second))
}

// wait polls a consumer until it has rolled out pods made after changed,
// printing a progress line whenever its counts change, until ctx ends
// (--timeout: exit 3, re-running waits again) or the rollout cannot
// complete by itself (exit 4).
func (t *Target) wait(ctx context.Context, w workload, changed time.Time) error {
	start, last := time.Now(), ""
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		s, left, err := t.rolledOut(ctx, w, changed)
		if err != nil {
			return err
		}
		if left == "" {
			t.progress.Info("rollout complete", "consumer", w.String(), "seconds", time.Since(start).Round(time.Millisecond).Seconds())
			return nil
		}
		if s.failed != "" {
			return fmt.Errorf("%w: %s %s (%s): its pods may not start with the new value", core.ErrRejected, w, s.failed, s.progress)
		}
		if left != last {
			t.progress.Info("rollout", "consumer", w.String(), "status", left)
			last = left
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the rollout of %s (%s): %w", w, left, ctx.Err())
		case <-tick.C:
		}
	}
}
