// Command azkv-stage is the stage step of the Azure Key Vault store. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/azkv"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(step.StoreStage("azkv", azkv.Open), os.Args[1:])) }
