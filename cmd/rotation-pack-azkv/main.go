// Command rotation-pack-azkv is the azkv family's multi-call binary; the image
// links each of its command names to it. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/pack"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/azkvfam"
)

func main() { os.Exit(pack.Main(azkvfam.Family(), os.Args, os.Stdout)) }
