// Command rotation-pack runs any rotation step: `rotation-pack CMD ARGS`
// executes CMD found next to it (in the image, a link to CMD's family
// binary, rotation-pack-<family>); --help lists them all.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/pack"
)

func main() { os.Exit(pack.Dispatch(os.Args, os.Stdout)) }
