package core

import (
	"crypto/x509"
	"fmt"
	"os"
)

// CAPool is the system's CAs plus those of the PEM file named by the
// environment variable env (a private CA), for one client's tls.Config:
// trusting a private CA never turns verification off. A missing or empty
// file is a usage error naming env.
func CAPool(env string) (*x509.CertPool, error) {
	file := os.Getenv(env)
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUsage, env, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%w: %s=%s holds no PEM certificate", ErrUsage, env, file)
	}
	return pool, nil
}
