// Package k8sfam is the Kubernetes target's family binary's command list
// (cmd/rotation-pack-k8s): client-go is large, so it links nothing else.
package k8sfam

import (
	"github.com/kestra-rotation/rotation-pack/rotators/kubernetes"
	"github.com/kestra-rotation/rotation-pack/rotators/pack"
)

// Family is rotation-pack-k8s: the kubernetes-* commands.
func Family() pack.Family {
	return pack.Family{Name: pack.Name + "-k8s", Commands: pack.TargetCommands(kubernetes.Spec())}
}
