// Package pack is the dispatch of the image's multi-call binaries. The
// commands are grouped by SDK family, each family one binary,
// cmd/rotation-pack-<family> (lists in rotators/pack/vaultfam, awsfam,
// azkvfam, gcpsmfam and dbfam), with each command name (vault-stage,
// postgres-deploy, …) a symbolic link to its family's binary. Each SDK is
// still held once in the image, but a step links and initialises only its
// own family: one binary holding every SDK initialised about 300 packages at
// each start, three times what a single command needs (docs/benchmarks.md).
// This package imports no store or target, so a family binary links only
// what its list names; rotators/pack/all is the whole list, for tests.
package pack

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/inventory"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

// Name is the dispatcher's name; a family binary is Name-<family>.
const Name = "rotation-pack"

// Family is one multi-call binary: its name and the commands it runs.
type Family struct {
	Name     string
	Commands []step.Command
}

// StoreCommands are a store's steps, its secret-reading helper and its inventory.
func StoreCommands(scheme string, open step.StoreOpener, inv inventory.Opener) []step.Command {
	return []step.Command{step.StoreStage(scheme, open), step.StorePromote(scheme, open),
		step.StoreRollback(scheme, open), step.StoreGet(scheme, open), inventory.Command(scheme, inv)}
}

// TargetCommands are a target's deploy, validate and revoke steps.
func TargetCommands[T core.Applier](t step.TargetSpec[T]) []step.Command {
	return []step.Command{step.TargetDeploy(t), step.TargetValidate(t), step.TargetRevoke(t)}
}

// Main runs the command of f named by the name it was started under (a
// symbolic link), or by its first argument when started as f.Name itself.
func Main(f Family, args []string, stdout io.Writer) int {
	byName := map[string]step.Command{}
	for _, c := range f.Commands {
		byName[c.Name] = c
	}
	name, rest := filepath.Base(args[0]), args[1:]
	if name == f.Name {
		if len(rest) == 0 || rest[0] == "--help" || rest[0] == "-h" {
			return list(stdout, f.Name, byName)
		}
		if rest[0] == "--version" {
			fmt.Fprintf(stdout, "%s %s\n", f.Name, step.Version)
			return core.ExitOK
		}
		name, rest = rest[0], rest[1:]
	}
	c, ok := byName[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "error: %s: no such command in %s (run %s --help for the list)\n", name, f.Name, f.Name)
		return core.ExitUsage
	}
	return step.Main(c, rest)
}

func list(w io.Writer, self string, byName map[string]step.Command) int {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "%s - rotation steps in one binary; each name below is also a link to it.\n\nUsage:\n  %s COMMAND [flags]   or   COMMAND [flags]\n\n%s\n", self, self, commandsHeading)
	for _, n := range names {
		fmt.Fprintf(w, "  %-18s %s\n", n, byName[n].Summary)
	}
	return core.ExitOK
}
