package redis

import "github.com/kestra-rotation/rotation-pack/rotators/step"

// Spec is the Redis target for the generic target steps (redis-deploy,
// -validate, -revoke). It declares no flags of its own, and alternate is
// refused (see the package documentation), so deploy offers
// no --grace or --force.
func Spec() step.TargetSpec[Target] {
	return step.TargetSpec[Target]{Name: "redis", Open: Open}
}
