// Command rotation-pack is every rotation step in one binary; the image
// links each command name to it. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/pack"
)

func main() { os.Exit(pack.Main(os.Args, os.Stdout)) }
