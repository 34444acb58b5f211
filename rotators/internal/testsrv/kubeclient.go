package testsrv

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Client is a client-go clientset for the admin.
func (k *Kube) Client() (*kubernetes.Clientset, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", k.Kubeconfig)
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(rc)
}

// addNode registers the Node kwok plays and waits until kwok made it Ready.
func (k *Kube) addNode(ctx context.Context) error {
	cs, err := k.Client()
	if err != nil {
		return err
	}
	capacity := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("32"), corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods: resource.MustParse("110")}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "kwok-node-0", Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
		Labels: map[string]string{"type": "kwok", "kubernetes.io/hostname": "kwok-node-0"}},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity}}
	if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create node: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, kubeStartTimeout)
	defer cancel()
	for {
		n, err := cs.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
		if err == nil && isReady(n) {
			// The API server taints a new Node not-ready; the node lifecycle
			// controller, not run here (kwok keeps no lease), would lift it.
			n.Spec.Taints = nil
			if _, err = cs.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{}); err == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kwok node not ready: %w; kwok log:\n%s", ctx.Err(), k.procs[len(k.procs)-1].logTail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ServiceAccountKubeconfig writes, into dir, a kubeconfig for the service
// account namespace/name (created if missing) with a token from the
// TokenRequest API, valid for an hour, and returns its path and the token.
func (k *Kube) ServiceAccountKubeconfig(ctx context.Context, dir, namespace, name string) (path, token string, err error) {
	cs, err := k.Client()
	if err != nil {
		return "", "", err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}}
	if _, err := cs.CoreV1().ServiceAccounts(namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !isAlreadyExists(err) {
		return "", "", fmt.Errorf("create service account: %w", err)
	}
	hour := int64(3600)
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name,
		&authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &hour}}, metav1.CreateOptions{})
	if err != nil {
		return "", "", fmt.Errorf("token request: %w", err)
	}
	path = filepath.Join(dir, name+".kubeconfig")
	return path, tr.Status.Token, WriteKubeconfig(path, k.Server, k.CAFile, tr.Status.Token, namespace)
}

func isAlreadyExists(err error) bool { return apierrors.IsAlreadyExists(err) }

func isReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
