// Package azkvfam is the Azure Key Vault family binary's command list (cmd/rotation-pack-azkv).
package azkvfam

import (
	"github.com/kestra-rotation/rotation-pack/rotators/azkv"
	"github.com/kestra-rotation/rotation-pack/rotators/pack"
)

// Family is rotation-pack-azkv: the azkv-* commands.
func Family() pack.Family {
	return pack.Family{Name: pack.Name + "-azkv", Commands: pack.StoreCommands("azkv", azkv.Open, azkv.OpenInventory)}
}
