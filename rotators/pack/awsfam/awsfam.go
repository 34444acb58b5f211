// Package awsfam is the AWS family binary's command list (cmd/rotation-pack-aws):
// Secrets Manager and IAM share the AWS SDK.
package awsfam

import (
	"github.com/kestra-rotation/rotation-pack/rotators/awsiam"
	"github.com/kestra-rotation/rotation-pack/rotators/awssm"
	"github.com/kestra-rotation/rotation-pack/rotators/pack"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

// Family is rotation-pack-aws: the awssm-* and awsiam-* commands.
func Family() pack.Family {
	cmds := pack.StoreCommands("awssm", awssm.Open, awssm.OpenInventory)
	cmds = append(cmds, awsiam.Deploy(), step.TargetValidate(awsiam.Spec()), awsiam.Revoke())
	return pack.Family{Name: pack.Name + "-aws", Commands: cmds}
}
