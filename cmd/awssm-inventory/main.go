// Command awssm-inventory lists AWS Secrets Manager secrets with their age and rotation state. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm"
	"github.com/kestra-rotation/rotation-pack/rotators/inventory"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(inventory.Command("awssm", awssm.OpenInventory), os.Args[1:])) }
