// Command awsiam-revoke retires the previous IAM access key. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/awsiam"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(awsiam.Revoke(), os.Args[1:])) }
