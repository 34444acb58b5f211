// Command redis-revoke is the revoke step of the Redis target. See --help.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/redis"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func main() { os.Exit(step.Main(step.TargetRevoke(redis.Spec()), os.Args[1:])) }
