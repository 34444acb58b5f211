// Command awssm-get is the get step of the AWS Secrets Manager store. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(step.StoreGet("awssm", awssm.Open), os.Args[1:])) }
