package postgres_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// TestTLSVerification runs postgres-validate against a cluster whose
// certificate only a test CA vouches for: verification asked for in the
// secret or PGSSLMODE fails with exit 2 naming the certificate until
// PGSSLROOTCERT names the CA; loopback without sslmode keeps prefer; a
// server without TLS fails with exit 2 when TLS is required.
func TestTLSVerification(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL and OpenBao")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg, err := testsrv.StartPostgresTLS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Stop)
	value := func(srv *testsrv.Postgres, host, sslmode string) core.Value {
		v, err := core.ParseValue([]byte(`{"engine":"postgres","dbname":"postgres"}`))
		if err != nil {
			t.Fatal(err)
		}
		v = v.With("host", host).With("port", strconv.Itoa(srv.Port)).With("username", srv.AdminUser).With("password", srv.AdminPassword)
		if sslmode != "" {
			v = v.With("sslmode", sslmode)
		}
		return v
	}
	ca, cert := "PGSSLROOTCERT="+pg.CAFile, []string{"certificate", "PGSSLROOTCERT"}
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	conformance.ValidateTLS(t, vaulttest.Harness(t, env.Bao.Addr, env.Bao.Token, env.BinDir),
		func(t testing.TB, name string, v core.Value) core.Ref { return vaulttest.Put(t, vc, name, v) }, "postgres",
		[]conformance.TLSCase{
			{Name: "loopback default prefer", Value: value(pg, "127.0.0.1", "")},
			{Name: "secret verify-full without CA", Value: value(pg, "127.0.0.1", "verify-full"), Want: core.ExitUsage, Stderr: cert},
			{Name: "PGSSLMODE verify-full without CA", Value: value(pg, "127.0.0.1", ""), Env: []string{"PGSSLMODE=verify-full"}, Want: core.ExitUsage, Stderr: cert},
			{Name: "secret verify-full with PGSSLROOTCERT", Value: value(pg, "127.0.0.1", "verify-full"), Env: []string{ca}},
			{Name: "PGSSLMODE verify-full by name with PGSSLROOTCERT", Value: value(pg, "localhost", ""), Env: []string{"PGSSLMODE=verify-full", ca}},
			{Name: "verify-full on a server without TLS", Value: value(env.PG, "127.0.0.1", "verify-full"), Env: []string{ca},
				Want: core.ExitUsage, Stderr: []string{"does not offer TLS", "sslmode"}},
		})
}
