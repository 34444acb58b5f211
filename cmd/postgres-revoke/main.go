// Command postgres-revoke is the revoke step of the PostgreSQL target. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/postgres"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(step.TargetRevoke(postgres.Spec()), os.Args[1:])) }
