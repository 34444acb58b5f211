// Command mysql-deploy is the deploy step of the MySQL/MariaDB target. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/mysql"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(step.TargetDeploy(mysql.Spec()), os.Args[1:])) }
