// Package all is every family of the pack, for tests and the benchmark;
// the shipped binaries never import it, as it links every SDK.
package all

import (
	"github.com/kestra-rotation/rotation-pack/rotators/pack"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/awsfam"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/azkvfam"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/dbfam"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/gcpsmfam"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/k8sfam"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/vaultfam"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

// Families are the family binaries, as docker/build.sh builds them.
func Families() []pack.Family {
	return []pack.Family{vaultfam.Family(), awsfam.Family(), azkvfam.Family(), gcpsmfam.Family(), dbfam.Family(), k8sfam.Family()}
}

// Commands are every command, the same ones cmd/<name>/main.go builds.
func Commands() []step.Command {
	var cmds []step.Command
	for _, f := range Families() {
		cmds = append(cmds, f.Commands...)
	}
	return cmds
}
