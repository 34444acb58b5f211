package kubernetes

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPodIsNew(t *testing.T) {
	changed := time.Date(2026, 12, 6, 1, 0, 0, 400_000_000, time.UTC) // the Secret's change, 01:00:00.4
	pod := func(created time.Time, restartedAt string) corev1.Pod {
		p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(created.Truncate(time.Second))}}
		if restartedAt != "" {
			p.Annotations = map[string]string{annoRestarted: restartedAt}
		}
		return p
	}
	tests := []struct {
		name    string
		pod     corev1.Pod
		changed time.Time
		want    bool
	}{
		{"created a second before", pod(changed.Add(-time.Second), ""), changed, false},
		{"created in the change's second, old template", pod(changed, ""), changed, false},
		{"created in the change's second, template restarted before", pod(changed, changed.Add(-time.Millisecond).Format(time.RFC3339Nano)), changed, false},
		{"created in the change's second, template restarted after", pod(changed, changed.Add(time.Millisecond).Format(time.RFC3339Nano)), changed, true},
		{"created a second later", pod(changed.Add(time.Second), ""), changed, true},
		{"restartedAt in kubectl's format, a second later", pod(changed.Add(time.Second), changed.Add(time.Second).Format(time.RFC3339)), changed, true},
		{"bad restartedAt, created before", pod(changed.Add(-time.Minute), "yesterday"), changed, false},
		{"Secret never changed by the target", pod(changed, ""), time.Time{}, true},
	}
	for _, tc := range tests {
		if got := podIsNew(tc.pod, tc.changed); got != tc.want {
			t.Errorf("%s: got new %v, want %v", tc.name, got, tc.want)
		}
	}
}
