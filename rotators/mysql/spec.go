package mysql

import "github.com/kestra-rotation/rotation-pack/rotators/step"

// Spec is the MySQL/MariaDB target for the generic target steps
// (mysql-deploy, -validate, -revoke): it supports the alternate strategy and
// declares --account-host and --reconcile-grants.
func Spec() step.TargetSpec[Target] {
	return step.TargetSpec[Target]{
		Name: "mysql", Open: Open, Alternate: true,
		Flags: []step.Flag{
			{Name: "reconcile-grants", Bool: true, Steps: []string{"deploy"},
				Usage: "make the other user's privileges match before switching users (alternate), and say what was granted"},
			{Name: "account-host", Meta: "HOST", Steps: []string{"deploy", "revoke"},
				Usage: "host part of a MySQL account 'user'@'host' when the secret has no account_host field"},
		},
		Details: map[string]string{
			"deploy": `alternate: before the incoming user's password changes, its privileges are
compared with the current user's: any difference is reported and refused
(exit 5), or with --reconcile-grants made to match, saying what was granted
and revoked.`,
			"revoke": `MySQL and MariaDB do not record when a session opened: revoke waits for every
session of the user open when it starts.`,
		},
	}
}
