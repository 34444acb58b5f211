// Command gcpsm-get is the get helper of the GCP Secret Manager store. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(step.StoreGet("gcpsm", gcpsm.Open), os.Args[1:])) }
