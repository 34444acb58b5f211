// Package vaultfam is the Vault family binary's command list (cmd/rotation-pack-vault).
package vaultfam

import (
	"github.com/kestra-rotation/rotation-pack/rotators/pack"
	"github.com/kestra-rotation/rotation-pack/rotators/vault"
)

// Family is rotation-pack-vault: the vault-* commands, and the AppRole's
// own secret id rotation.
func Family() pack.Family {
	return pack.Family{Name: pack.Name + "-vault",
		Commands: append(pack.StoreCommands("vault", vault.Open, vault.OpenInventory), vault.SecretIDRotateCommand())}
}
