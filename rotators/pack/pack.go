// Package pack lists every command of the rotation pack, for the
// multi-call binary the container image ships: one executable,
// /usr/local/bin/rotation-pack, with each command name (vault-stage,
// postgres-deploy, …) a symbolic link to it. One binary holds every SDK
// once instead of once per command, which keeps the image small.
package pack

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/kestra-rotation/rotation-pack/rotators/awsiam"
	"github.com/kestra-rotation/rotation-pack/rotators/awssm"
	"github.com/kestra-rotation/rotation-pack/rotators/azkv"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm"
	"github.com/kestra-rotation/rotation-pack/rotators/inventory"
	"github.com/kestra-rotation/rotation-pack/rotators/mysql"
	"github.com/kestra-rotation/rotation-pack/rotators/postgres"
	"github.com/kestra-rotation/rotation-pack/rotators/redis"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
	"github.com/kestra-rotation/rotation-pack/rotators/vault"
)

// Name is the multi-call binary's own name.
const Name = "rotation-pack"

// Commands returns every command, the same ones cmd/<name>/main.go builds.
func Commands() []step.Command {
	var cmds []step.Command
	stores := []struct {
		scheme string
		open   step.StoreOpener
	}{{"vault", vault.Open}, {"awssm", awssm.Open}, {"azkv", azkv.Open}, {"gcpsm", gcpsm.Open}}
	for _, s := range stores {
		cmds = append(cmds, step.StoreStage(s.scheme, s.open), step.StorePromote(s.scheme, s.open),
			step.StoreRollback(s.scheme, s.open), step.StoreGet(s.scheme, s.open))
	}
	targets := []struct {
		name string
		open step.TargetOpener
	}{{"postgres", postgres.Open}, {"mysql", mysql.Open}, {"redis", redis.Open}}
	for _, t := range targets {
		cmds = append(cmds, step.TargetDeploy(t.name, t.open), step.TargetValidate(t.name, t.open), step.TargetRevoke(t.name, t.open))
	}
	inventories := []struct {
		scheme string
		open   inventory.Opener
	}{{"vault", vault.OpenInventory}, {"awssm", awssm.OpenInventory}, {"gcpsm", gcpsm.OpenInventory}, {"azkv", azkv.OpenInventory}}
	for _, i := range inventories {
		cmds = append(cmds, inventory.Command(i.scheme, i.open))
	}
	return append(cmds, awsiam.Deploy(), step.TargetValidate("awsiam", awsiam.OpenTarget), awsiam.Revoke())
}

// Main runs the command named by the name it was started under (a symbolic
// link), or by its first argument when started as rotation-pack itself.
func Main(args []string, stdout io.Writer) int {
	byName := map[string]step.Command{}
	for _, c := range Commands() {
		byName[c.Name] = c
	}
	name, rest := filepath.Base(args[0]), args[1:]
	if name == Name {
		if len(rest) == 0 || rest[0] == "--help" || rest[0] == "-h" {
			return list(stdout, byName)
		}
		if rest[0] == "--version" {
			fmt.Fprintf(stdout, "%s %s\n", Name, step.Version)
			return core.ExitOK
		}
		name, rest = rest[0], rest[1:]
	}
	c, ok := byName[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "error: %s: no such command (run %s --help for the list)\n", name, Name)
		return core.ExitUsage
	}
	return step.Main(c, rest)
}

func list(w io.Writer, byName map[string]step.Command) int {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "%s - every rotation step in one binary; each name below is also a link to it.\n\nUsage:\n  %s COMMAND [flags]   or   COMMAND [flags]\n\nCommands:\n", Name, Name)
	for _, n := range names {
		fmt.Fprintf(w, "  %-18s %s\n", n, byName[n].Summary)
	}
	return core.ExitOK
}
