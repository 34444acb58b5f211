// Command vault-rollback is the rollback step of the Vault KV v2 store. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/step"
	"github.com/kestra-rotation/rotation-pack/rotators/vault"
)

func main() { os.Exit(step.Main(step.StoreRollback("vault", vault.Open), os.Args[1:])) }
