// Command gcpsm-promote is the promote step of the GCP Secret Manager store. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(step.StorePromote("gcpsm", gcpsm.Open), os.Args[1:])) }
