package kubernetes

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

// api is the part of the Kubernetes API the target uses, in the Secret's
// namespace: Secrets and Pods (core/v1), Deployments, StatefulSets and
// DaemonSets (apps/v1). It is two client-go REST clients with a scheme of
// those two groups only: client-go's clientset registers every API group
// of Kubernetes, which doubled the binary and its start-up
// (docs/benchmarks.md). Each call is one request; none retries.
type api struct {
	core, apps rest.Interface
	namespace  string
}

func newAPI(rc *rest.Config, namespace string) (api, error) {
	s := runtime.NewScheme()
	if err := corev1.AddToScheme(s); err != nil {
		return api{}, err
	}
	if err := appsv1.AddToScheme(s); err != nil {
		return api{}, err
	}
	codecs := serializer.NewCodecFactory(s).WithoutConversion()
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		return api{}, err
	}
	client := func(gv schema.GroupVersion, path string) (rest.Interface, error) {
		c := rest.CopyConfig(rc)
		c.GroupVersion, c.APIPath, c.NegotiatedSerializer = &gv, path, codecs
		return rest.RESTClientForConfigAndClient(c, hc)
	}
	a := api{namespace: namespace}
	if a.core, err = client(corev1.SchemeGroupVersion, "/api"); err != nil {
		return api{}, err
	}
	a.apps, err = client(appsv1.SchemeGroupVersion, "/apis")
	return a, err
}

// group is the client of a resource: "secrets" and "pods" are core/v1,
// the workloads ("deployments", ...) apps/v1.
func (a api) group(resource string) rest.Interface {
	if resource == "secrets" || resource == "pods" {
		return a.core
	}
	return a.apps
}

// get reads one object of resource into out.
func (a api) get(ctx context.Context, resource, name string, out runtime.Object) error {
	return a.group(resource).Get().Namespace(a.namespace).Resource(resource).Name(name).Do(ctx).Into(out)
}

// list reads the objects of resource that selector matches ("" for all) into out.
func (a api) list(ctx context.Context, resource, selector string, out runtime.Object) error {
	r := a.group(resource).Get().Namespace(a.namespace).Resource(resource)
	if selector != "" {
		r = r.Param("labelSelector", selector)
	}
	return r.Do(ctx).Into(out)
}

// update replaces a Secret, with its resourceVersion: the API server
// refuses it (Conflict) when someone changed the Secret since it was read.
func (a api) update(ctx context.Context, sec *corev1.Secret) error {
	return a.core.Put().Namespace(a.namespace).Resource("secrets").Name(sec.Name).
		Param("fieldManager", fieldManager).Body(sec).Do(ctx).Error()
}

// patch applies a strategic merge patch to one object of resource.
func (a api) patch(ctx context.Context, resource, name string, patch []byte) error {
	return a.group(resource).Patch(types.StrategicMergePatchType).Namespace(a.namespace).Resource(resource).Name(name).
		Param("fieldManager", fieldManager).Body(patch).Do(ctx).Error()
}
