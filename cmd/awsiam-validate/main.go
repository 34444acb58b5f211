// Command awsiam-validate checks an IAM access key with sts:GetCallerIdentity. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/awsiam"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(step.TargetValidate(awsiam.Spec()), os.Args[1:])) }
