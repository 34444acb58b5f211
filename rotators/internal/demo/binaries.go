package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/kestra-rotation/rotation-pack/rotators/pack"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/dbfam"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/vaultfam"
)

// demoFamilies are the family binaries whose commands the flow runs: the
// Vault store and the database targets. Only these are built, so the demo
// compiles no cloud SDK (a fresh machine builds it in a fraction of the time
// of every command).
var demoFamilies = []pack.Family{vaultfam.Family(), dbfam.Family()}

// buildBinaries builds the demo's families into dir as the image lays them
// out: cmd/rotation-pack-<family>, with each of its commands a symbolic link
// to it. It returns the names of the commands.
func buildBinaries(root, dir string) ([]string, error) {
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, f := range demoFamilies {
		args = append(args, "./cmd/"+f.Name)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go %v: %w\n%s", args, err, out)
	}
	var names []string
	for _, f := range demoFamilies {
		for _, c := range f.Commands {
			if err := os.Symlink(f.Name, filepath.Join(dir, c.Name)); err != nil {
				return nil, err
			}
			names = append(names, c.Name)
		}
	}
	return names, nil
}
