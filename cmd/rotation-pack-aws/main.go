// Command rotation-pack-aws is the aws family's multi-call binary; the image
// links each of its command names to it. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/pack"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/awsfam"
)

func main() { os.Exit(pack.Main(awsfam.Family(), os.Args, os.Stdout)) }
