package postgres

import (
	"fmt"
	"os"
	"strings"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// sslMode is the sslmode to put in the connection string: the secret's
// sslmode field, else none when PGSSLMODE is set (pgx reads it), else the
// pack's default for the host (the secret's, else PGHOST).
func sslMode(creds core.Value) string {
	if m := creds.Text("sslmode"); m != "" {
		return m
	}
	if os.Getenv("PGSSLMODE") != "" {
		return ""
	}
	host := creds.Text("host")
	if host == "" {
		host = os.Getenv("PGHOST")
	}
	return defaultSSLMode(host)
}

// defaultSSLMode is verify-full (encrypted and verified against the system
// CAs, or PGSSLROOTCERT) unless every host of the comma-separated list is
// this machine: libpq's prefer would accept any certificate, or none, from
// a server across the network. Loopback keeps prefer, for sidecars such as
// cloud-sql-proxy that listen there without TLS. No host means pgx's
// default, a Unix socket or localhost.
func defaultSSLMode(hosts string) string {
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h != "" && !strings.HasPrefix(h, "/") && !core.IsLoopback(h) {
			return "verify-full"
		}
	}
	return "prefer"
}

// classifyTLS says what to change when TLS, not the network, stopped the
// connection: retrying cannot help (exit 2). It returns nil for other errors.
func classifyTLS(err error) error {
	switch {
	case err == nil:
		return nil
	case core.IsCertificateError(err):
		return fmt.Errorf("%w: server certificate not trusted (name its CA in PGSSLROOTCERT, or set sslmode): %w", core.ErrUsage, err)
	case strings.Contains(err.Error(), "server refused TLS connection"):
		return fmt.Errorf("%w: server does not offer TLS, which the sslmode requires (verify-full by default for a host not on loopback): enable TLS on the server, or set sslmode in the secret or PGSSLMODE", core.ErrUsage)
	}
	return nil
}
