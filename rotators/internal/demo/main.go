// Command demo runs one real rotation of a PostgreSQL password kept in
// Vault, with the pack's example Kestra flow, and proves the result:
//
//	go run ./rotators/internal/demo     (or: make demo)
//
// It uses the Vault given by VAULT_ADDR/VAULT_TOKEN and the PostgreSQL given
// by DEMO_PG_ADMIN_DSN (a superuser DSN) when they are set and reachable, and
// otherwise starts a throw-away OpenBao and PostgreSQL on random loopback
// ports, which it stops at the end. It builds the binaries of the Vault and
// database families (as the image holds them), creates the role
// orders_app and its secret, runs flows/postgres-password-vault.yaml the way
// Kestra would (rotators/internal/flowrun), printing each task's log - the audit
// trail, never a secret value - and ends by logging in with the new password
// and the old one. It exits non-zero if anything did not work.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

const flowFile = "flows/postgres-password-vault.yaml"

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "\ndemo failed:", err)
		os.Exit(1)
	}
	say("\nDemo OK: the password was rotated, validated, promoted, and the old one no longer works.")
}

func run(ctx context.Context) error {
	say("Rotation pack demo: rotate a PostgreSQL password stored in Vault with the example Kestra flow.")
	say("\n[1/5] Servers")
	s, err := startServers(ctx)
	if err != nil {
		return err
	}
	defer s.stop()

	say("\n[2/5] Binaries (as the container image holds them on its PATH)")
	root, err := testsrv.RepoRoot()
	if err != nil {
		return err
	}
	bin, err := os.MkdirTemp("", "rotation-demo-bin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bin)
	names, err := buildBinaries(root, bin)
	if err != nil {
		return err
	}
	for _, f := range demoFamilies {
		say("  built %s into %s", f.Name, bin)
	}
	say("  %d commands, each a link to its family's binary: %s", len(names), strings.Join(names, " "))

	say("\n[3/5] A database role and its credential in Vault")
	d, err := setup(ctx, root, s)
	if err != nil {
		return err
	}

	say("\n[4/5] Running %s, task by task, as Kestra would", flowFile)
	e, err := d.runFlow(ctx, root, bin)
	if err != nil {
		return err
	}

	say("\n[5/5] Proof, checked from outside the flow")
	return d.prove(ctx, e)
}

// runFlow runs the example flow, printing each task as it finishes.
func (d *demo) runFlow(ctx context.Context, root, bin string) (*flowrun.Execution, error) {
	flow, err := flowrun.Load(filepath.Join(root, flowFile))
	if err != nil {
		return nil, err
	}
	r := &flowrun.Runner{
		ExecutionID: flowrun.NewExecutionID(),
		BinDir:      bin,
		Secrets:     map[string]string{"VAULT_TOKEN": d.flowToken},
		Envs:        map[string]string{"VAULT_ADDR": d.s.vaultAddr},
		AfterTask:   func(tr *flowrun.TaskRun) { tr.WriteLog(os.Stdout) },
	}
	inputs := map[string]string{
		"secret":       "vault://secret/" + d.path,
		"admin_secret": "vault://secret/" + d.adminPath,
		"strategy":     "single",
		"dry_run":      "false",
	}
	say("  execution %s (its id is the rotation id), inputs:", r.ExecutionID)
	for _, k := range []string{"secret", "admin_secret", "strategy", "dry_run"} {
		say("    %s = %s", k, inputs[k])
	}
	say("  Kestra secrets the flow reads with secret(): VAULT_ADDR, VAULT_TOKEN (values never shown)")
	e, err := r.Run(ctx, flow, inputs)
	if err != nil {
		return nil, err
	}
	say("")
	e.WriteFooter(os.Stdout)
	return e, nil
}

func say(format string, args ...any) {
	fmt.Printf(format+"\n", args...)
}
