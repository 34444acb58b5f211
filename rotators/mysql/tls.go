package mysql

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"

	"github.com/go-sql-driver/mysql"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// CACertEnv names a PEM file of extra CA certificates to trust for the
// server (a private CA), besides the system's, when TLS is verified.
const CACertEnv = "MYSQL_CA_CERT"

// tlsMode is the secret's tls field, else the pack's default for host.
func tlsMode(creds core.Value, host string) string {
	if t := creds.Text("tls"); t != "" {
		return t
	}
	return defaultTLS(host)
}

// defaultTLS is true (encrypted and verified) unless host is this machine:
// the driver's preferred would accept any certificate, or none, from a
// server across the network. Loopback keeps preferred, for sidecars such as
// cloud-sql-proxy that listen there without TLS.
func defaultTLS(host string) string {
	if core.IsLoopback(host) {
		return "preferred"
	}
	return "true"
}

// setTLS fills cfg's TLS settings for mode. A verified connection trusts
// the system's CAs plus those of $MYSQL_CA_CERT, in this connector's own
// tls.Config: the driver's named configs (RegisterTLSConfig) are global.
func setTLS(cfg *mysql.Config, mode, host string) error {
	cfg.TLSConfig = mode
	if mode != "true" || os.Getenv(CACertEnv) == "" {
		return nil
	}
	pool, err := core.CAPool(CACertEnv)
	if err != nil {
		return err
	}
	cfg.TLS = &tls.Config{RootCAs: pool, ServerName: host, MinVersion: tls.VersionTLS12}
	return nil
}

// classifyTLS says what to change when TLS, not the network, stopped the
// connection: retrying cannot help (exit 2). It returns nil for other errors.
func classifyTLS(err error) error {
	switch {
	case core.IsCertificateError(err):
		return fmt.Errorf("%w: server certificate not trusted (name its CA in %s, or set tls in the secret): %w", core.ErrUsage, CACertEnv, err)
	case errors.Is(err, mysql.ErrNoTLS):
		return fmt.Errorf("%w: server does not offer TLS, which tls true requires (the default for a host not on loopback): enable TLS on the server, or set tls in the secret", core.ErrUsage)
	}
	return nil
}
