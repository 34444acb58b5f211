// Package all is every family of the pack, for tests and the benchmark;
// the shipped binaries never import it, as it links every SDK.
package all

import (
	"sort"
	"strings"

	"github.com/kestra-rotation/rotation-pack/rotators/pack"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/awsfam"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/azkvfam"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/dbfam"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/gcpsmfam"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/vaultfam"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

// Families are the family binaries, as docker/build.sh builds them.
func Families() []pack.Family {
	return []pack.Family{vaultfam.Family(), awsfam.Family(), azkvfam.Family(), gcpsmfam.Family(), dbfam.Family()}
}

// Commands are every command, the same ones cmd/<name>/main.go builds.
func Commands() []step.Command {
	var cmds []step.Command
	for _, f := range Families() {
		cmds = append(cmds, f.Commands...)
	}
	return cmds
}

// Stores are the providers that have a <p>-stage command, in family order.
func Stores() []string { return providersWith("-stage") }

// Targets are the providers that have a <p>-deploy command, in family order.
func Targets() []string { return providersWith("-deploy") }

// providersWith are the prefixes of the commands named <prefix><step>.
func providersWith(step string) []string {
	var ps []string
	for _, c := range Commands() {
		if p, ok := strings.CutSuffix(c.Name, step); ok && !strings.Contains(p, "-") {
			ps = append(ps, p)
		}
	}
	return ps
}

// Links are "<command> <family binary>" for every command, sorted: the
// symbolic links docker/build.sh makes (rotators/internal/packlist prints them).
func Links() []string {
	var ls []string
	for _, f := range Families() {
		for _, c := range f.Commands {
			ls = append(ls, c.Name+" "+f.Name)
		}
	}
	sort.Strings(ls)
	return ls
}
