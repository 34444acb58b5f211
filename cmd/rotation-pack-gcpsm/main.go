// Command rotation-pack-gcpsm is the gcpsm family's multi-call binary; the image
// links each of its command names to it. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/pack"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/gcpsmfam"
)

func main() { os.Exit(pack.Main(gcpsmfam.Family(), os.Args, os.Stdout)) }
