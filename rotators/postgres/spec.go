package postgres

import "github.com/kestra-rotation/rotation-pack/rotators/step"

// Spec is the PostgreSQL target for the generic target steps
// (postgres-deploy, -validate, -revoke): it supports the alternate strategy
// and declares --reconcile-grants.
func Spec() step.TargetSpec[Target] {
	return step.TargetSpec[Target]{
		Name: "postgres", Open: Open, Alternate: true,
		Flags: []step.Flag{{Name: "reconcile-grants", Bool: true, Steps: []string{"deploy"},
			Usage: "make the other user's privileges match before switching users (alternate), and say what was granted"}},
		Details: map[string]string{"deploy": `alternate: before the incoming user's password changes, its privileges are
compared with the current user's: any difference is reported and refused
(exit 5), or with --reconcile-grants made to match, saying what was granted
and revoked.`},
	}
}
