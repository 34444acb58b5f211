// Command azkv-get is the get helper of the Azure Key Vault store. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/azkv"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(step.StoreGet("azkv", azkv.Open), os.Args[1:])) }
