package core

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
)

// Error classes. Providers map their own errors onto these at the boundary;
// ExitCode turns them into the one exit-code table, ExitCodes (exitcodes.go).
var (
	// ErrUsage: bad flags, input or configuration; retrying cannot help (exit 2).
	ErrUsage = errors.New("bad usage or configuration")
	// ErrNotFound: the secret, stage or account does not exist (exit 2).
	ErrNotFound = errors.New("not found")
	// ErrDenied: the store or target refused our own credentials (exit 2).
	ErrDenied = errors.New("permission denied")
	// ErrUnavailable: store or target unreachable, sealed or throttled; safe to retry (exit 3).
	ErrUnavailable = errors.New("unavailable")
	// ErrRejected: validation found the credential refused (or accepted, with --expect-reject) (exit 4).
	ErrRejected = errors.New("credential rejected")
	// ErrConflict: another rotation holds the secret, or a check-and-set lost (exit 5).
	ErrConflict = errors.New("conflict")
)

// Exit codes, one table for all binaries.
const (
	ExitOK          = 0
	ExitInternal    = 1
	ExitUsage       = 2
	ExitUnavailable = 3
	ExitRejected    = 4
	ExitConflict    = 5
)

// ExitCode maps an error to the exit-code table. Network errors and timeouts
// that no provider classified count as unavailable: retrying may help.
func ExitCode(err error) int {
	var ne net.Error
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrConflict):
		return ExitConflict
	case errors.Is(err, ErrRejected):
		return ExitRejected
	case errors.Is(err, ErrUsage), errors.Is(err, ErrNotFound), errors.Is(err, ErrDenied), IsCertificateError(err):
		return ExitUsage
	case errors.Is(err, ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne):
		return ExitUnavailable
	}
	return ExitInternal
}

// ErrorForExit is the inverse of ExitCode, used when a helper process failed:
// its exit code says which class of error the parent reports (the Class
// column of ExitCodes).
func ErrorForExit(code int) error {
	for _, e := range ExitCodes {
		if e.Code == code && e.Class != nil {
			return e.Class
		}
	}
	return errors.New("internal error")
}

// IsCertificateError reports a server certificate that failed verification:
// retrying cannot help, the trusted CAs (VAULT_CACERT, AWS_CA_BUNDLE,
// AZKV_CA_CERT, PGSSLROOTCERT, MYSQL_CA_CERT, SSL_CERT_FILE, ...) or the
// address must change, so it is a configuration error (exit 2) even where a
// provider classed it as unavailable. Some SDKs flatten the error to text,
// hence the last test.
func IsCertificateError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) ||
		strings.Contains(err.Error(), "tls: failed to verify certificate")
}
