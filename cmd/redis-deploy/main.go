// Command redis-deploy is the deploy step of the Redis target. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/redis"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(step.TargetDeploy(redis.Spec()), os.Args[1:])) }
