// Command rotation-pack-vault is the vault family's multi-call binary; the image
// links each of its command names to it. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/pack"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/vaultfam"
)

func main() { os.Exit(pack.Main(vaultfam.Family(), os.Args, os.Stdout)) }
