// Command awsiam-deploy mints a new IAM access key and stages it. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/awsiam"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(awsiam.Deploy(), os.Args[1:])) }
