// Command rotation-pack-k8s is the Kubernetes family's multi-call binary; the
// image links each of its command names to it. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/pack"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/k8sfam"
)

func main() { os.Exit(pack.Main(k8sfam.Family(), os.Args, os.Stdout)) }
