// Command kubernetes-revoke is the revoke step of the Kubernetes consumers target. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/kubernetes"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(step.TargetRevoke(kubernetes.Spec()), os.Args[1:])) }
