// Package kubernetes is the Kubernetes consumers target: the applications
// that read a secret from a Kubernetes Secret, through k8s.io/client-go.
//
// deploy writes the stage's value into one Secret (which JSON fields go to
// which keys: KUBE_SECRET_KEYS), records the store version and the rotation
// id as annotations (never a value nor a hash of one), then restarts the
// workloads that consume it the way `kubectl rollout restart` does (the pod
// template annotation kubectl.kubernetes.io/restartedAt) and waits for each
// rollout, within --timeout. A credential "works" on this target when the
// Secret holds it and every consumer has rolled out pods started after the
// Secret changed: that is what validate checks, and what deploy checks first
// to stop early when re-run.
//
// Configuration, from the environment (docs/targets/kubernetes.md):
//
//	KUBECONFIG              the API server and the rotation's identity; when
//	                        unset, the pod's service account (in-cluster)
//	KUBE_SECRET             [namespace/]name of the Secret (required; it must
//	                        exist: the target only updates it)
//	KUBE_SECRET_KEYS        JSON object key -> template, e.g.
//	                        {"DATABASE_URL":"postgresql://{username}:{password:url}@{host}/{dbname}"};
//	                        default: every field of the value under its own name
//	KUBE_CONSUMERS          deployment/NAME,statefulset/NAME,daemonset/NAME,...
//	KUBE_CONSUMER_SELECTOR  a label selector: every Deployment, StatefulSet
//	                        and DaemonSet of the namespace that matches
//
// The Secret's namespace is KUBE_SECRET's, else the kubeconfig context's,
// else the service account's. Consumers live in the same namespace.
package kubernetes

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

// Spec is the target's description for the generic steps (kubernetes-deploy,
// -validate, -revoke). Its configuration comes from the environment (see the
// package documentation), so it declares no flags of its own.
func Spec() step.TargetSpec[*Target] {
	return step.TargetSpec[*Target]{Name: "kubernetes", Open: Open}
}

// Annotations the target writes. The prefix is the pack's; none of them
// holds a value or anything derived from one.
const (
	annoPrefix     = "rotation.kestra.io/"
	annoVersion    = annoPrefix + "version"    // the store version now in the Secret
	annoRotation   = annoPrefix + "rotation"   // the rotation id that wrote it
	annoChangedAt  = annoPrefix + "changed-at" // when the Secret's data last changed (RFC 3339)
	annoRestarted  = "kubectl.kubernetes.io/restartedAt"
	fieldManager   = "rotation-pack"
	describeMaxLen = 200
)

// Target is the Kubernetes consumers target.
type Target struct {
	err       error // a configuration error, returned by every step's first call
	api       api
	namespace string
	cfg       config
	progress  *slog.Logger // rollout progress lines: names and counts only
}

// Open reads the configuration and builds the client: KUBECONFIG when set,
// else the in-cluster service account, else the default loading rules
// (~/.kube/config). Nothing is contacted yet, and a configuration error is
// reported by the first call, after the step has read and checked the secret
// (as other targets, whose connection settings are in the secret, do).
func Open(context.Context, step.Flags) (*Target, error) {
	cfg, err := parseConfig(os.Getenv)
	if err != nil {
		return &Target{err: err}, nil
	}
	rc, ns, err := restConfig()
	if err != nil {
		return &Target{err: err, cfg: cfg}, nil
	}
	if cfg.namespace != "" {
		ns = cfg.namespace
	}
	rc.UserAgent = "rotation-pack"
	a, err := newAPI(rc, ns)
	if err != nil {
		return &Target{err: fmt.Errorf("%w: kubernetes client: %v", core.ErrUsage, err), cfg: cfg}, nil
	}
	return newTarget(a, cfg, os.Stdout), nil
}

// newTarget is a Target on a given API client.
func newTarget(a api, cfg config, progress io.Writer) *Target {
	return &Target{api: a, namespace: a.namespace, cfg: cfg, progress: slog.New(slog.NewTextHandler(progress,
		&slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
				return slog.Attr{}
			}
			return a
		}}))}
}

// restConfig is client-go's standard configuration and the namespace it names.
func restConfig() (*rest.Config, string, error) {
	if os.Getenv("KUBECONFIG") == "" {
		if rc, err := rest.InClusterConfig(); err == nil {
			ns, _ := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
			return rc, strings.TrimSpace(string(ns)), nil
		}
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(), &clientcmd.ConfigOverrides{})
	rc, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("%w: no Kubernetes configuration (KUBECONFIG, in-cluster service account or ~/.kube/config): %v", core.ErrUsage, err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("%w: kubeconfig namespace: %v", core.ErrUsage, err)
	}
	return rc, ns, nil
}

// Describe names the Secret and its consumers; never a value.
func (t *Target) Describe(core.Value) string {
	d := "secret " + t.namespace + "/" + t.cfg.secret
	if c := t.cfg.describeConsumers(); c != "" {
		d += " consumers " + c
	}
	if len(d) > describeMaxLen {
		d = d[:describeMaxLen] + "..."
	}
	return d
}
