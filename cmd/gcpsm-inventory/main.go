// Command gcpsm-inventory lists GCP Secret Manager secrets with their age and rotation state. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm"
	"github.com/kestra-rotation/rotation-pack/rotators/inventory"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(inventory.Command("gcpsm", gcpsm.OpenInventory), os.Args[1:])) }
