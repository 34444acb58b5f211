package mysql_test

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

// TestTLSVerification runs mysql-validate against a MariaDB server whose
// certificate only a test CA vouches for: tls true fails with exit 2 naming
// the certificate until MYSQL_CA_CERT (or Go's SSL_CERT_FILE) names the CA;
// loopback without tls keeps preferred; a server without TLS fails with
// exit 2 when tls is true.
func TestTLSVerification(t *testing.T) {
	needServers(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := testsrv.StartMariaDBTLS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Stop)
	value := func(srv *testsrv.MariaDB, host, tls string) core.Value {
		v, err := core.ParseValue([]byte(`{"engine":"mysql"}`))
		if err != nil {
			t.Fatal(err)
		}
		v = v.With("host", host).With("port", strconv.Itoa(srv.Port)).With("username", srv.AdminUser).With("password", srv.AdminPassword)
		if tls != "" {
			v = v.With("tls", tls)
		}
		return v
	}
	plain, err := testsrv.StartMariaDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(plain.Stop)
	ca := []string{"MYSQL_CA_CERT=" + db.CAFile}
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	conformance.ValidateTLS(t, vaulttest.Harness(t, env.Bao.Addr, env.Bao.Token, env.BinDir),
		func(t testing.TB, name string, v core.Value) core.Ref { return vaulttest.Put(t, vc, name, v) }, "mysql",
		[]conformance.TLSCase{
			{Name: "loopback default preferred", Value: value(db, "127.0.0.1", "")},
			{Name: "tls true without CA", Value: value(db, "127.0.0.1", "true"), Want: core.ExitUsage, Stderr: []string{"certificate", "MYSQL_CA_CERT"}},
			{Name: "tls true with MYSQL_CA_CERT", Value: value(db, "127.0.0.1", "true"), Env: ca},
			{Name: "tls true by name with MYSQL_CA_CERT", Value: value(db, "localhost", "true"), Env: ca},
			{Name: "tls true with SSL_CERT_FILE", Value: value(db, "127.0.0.1", "true"), Env: []string{"SSL_CERT_FILE=" + db.CAFile}},
			{Name: "tls true on a server without TLS", Value: value(plain, "127.0.0.1", "true"), Want: core.ExitUsage, Stderr: []string{"does not offer TLS", "tls"}},
		})
}
