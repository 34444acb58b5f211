// Command vault-inventory lists Vault KV v2 secrets with their age and rotation state. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/inventory"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
	"github.com/kestra-rotation/rotation-pack/rotators/vault"
)

func main() { os.Exit(step.Main(inventory.Command("vault", vault.OpenInventory), os.Args[1:])) }
