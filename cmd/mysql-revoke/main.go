// Command mysql-revoke is the revoke step of the MySQL/MariaDB target. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/mysql"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(step.TargetRevoke(mysql.Spec()), os.Args[1:])) }
