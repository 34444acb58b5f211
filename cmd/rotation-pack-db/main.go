// Command rotation-pack-db is the db family's multi-call binary; the image
// links each of its command names to it. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/pack"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/dbfam"
)

func main() { os.Exit(pack.Main(dbfam.Family(), os.Args, os.Stdout)) }
