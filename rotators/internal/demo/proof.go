package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
)

// prove checks the result with the Vault API and direct logins, and prints
// one line per fact; it returns an error if any fact does not hold.
func (d *demo) prove(ctx context.Context, e *flowrun.Execution) error {
	var failed []string
	check := func(what string, ok bool, detail string) {
		answer := "yes"
		if !ok {
			answer, failed = "NO", append(failed, what)
		}
		if detail != "" {
			answer += " (" + detail + ")"
		}
		say("  %s: %s", what, answer)
	}
	check("execution succeeded", e.State == flowrun.Success, string(e.State))
	kv := d.vc.KVv2("secret")
	cur, err := kv.Get(ctx, d.path)
	if err != nil {
		return fmt.Errorf("read secret/%s: %w", d.path, err)
	}
	newPW, _ := cur.Data["password"].(string)
	d.secrets = append(d.secrets, newPW)
	check("Vault holds a new version", cur.VersionMetadata.Version == 2, "version 1 -> "+strconv.Itoa(cur.VersionMetadata.Version))
	_, err = kv.Get(ctx, "_pending/"+d.path)
	check("no PENDING left", errors.Is(err, api.ErrSecretNotFound), "")
	err = d.login(ctx, newPW)
	check("new password logs in", err == nil, errText(err))
	err = d.login(ctx, d.oldPW)
	check("old password refused", isAuthFailure(err), errText(err))
	check("no secret value in any task's log, outputs or script", !d.leaked(e), "")
	if len(failed) > 0 {
		return fmt.Errorf("not proven: %s", strings.Join(failed, ", "))
	}
	return nil
}

// login connects as orders_app with password, directly with pgx.
func (d *demo) login(ctx context.Context, password string) error {
	pg := d.s.pg
	dsn := fmt.Sprintf("host=%s port=%d dbname=%s user=%s password=%s connect_timeout=10",
		quote(pg.host), pg.port, quote(pg.dbname), quote(appRole), quote(password))
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, "SELECT 1").Scan(new(int))
}

func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func isAuthFailure(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "28P01"
}

// errText names the server's answer, never the DSN (which holds the password).
func errText(err error) string {
	var pe *pgconn.PgError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pe):
		return "server says: " + pe.Message
	}
	return "connection failed"
}

// leaked reports whether any secret value the demo saw appears anywhere in
// the execution: logs, outputs, rendered scripts.
func (d *demo) leaked(e *flowrun.Execution) bool {
	for _, tr := range e.TaskRuns {
		var b strings.Builder
		b.WriteString(tr.Script)
		for _, l := range tr.Logs {
			b.WriteString("\n" + l.Message)
		}
		for k, v := range tr.Outputs {
			fmt.Fprintf(&b, "\n%s=%v", k, v)
		}
		for _, s := range d.secrets {
			if s != "" && strings.Contains(b.String(), s) {
				return true
			}
		}
	}
	return false
}
