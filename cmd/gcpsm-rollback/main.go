// Command gcpsm-rollback is the rollback step of the GCP Secret Manager store. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(step.StoreRollback("gcpsm", gcpsm.Open), os.Args[1:])) }
