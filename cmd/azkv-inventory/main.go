// Command azkv-inventory lists Azure Key Vault secrets with their age and rotation state. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/azkv"
	"github.com/kestra-rotation/rotation-pack/rotators/inventory"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(inventory.Command("azkv", azkv.OpenInventory), os.Args[1:])) }
