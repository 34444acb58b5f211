// Command redis-validate is the validate step of the Redis target. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/redis"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(step.TargetValidate(redis.Spec()), os.Args[1:])) }
