// Command vault-secret-id-rotate gives the pack's AppRole a new secret id. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/step"
	"github.com/kestra-rotation/rotation-pack/rotators/vault"
)

func main() { os.Exit(step.Main(vault.SecretIDRotateCommand(), os.Args[1:])) }
