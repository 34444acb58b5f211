package testsrv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// serverTLS is a throw-away CA and a server certificate it signed for the
// loopback names (localhost, 127.0.0.1, ::1), as PEM files in a server's dir.
type serverTLS struct {
	caFile, certFile, keyFile string
}

// writeServerTLS makes the CA and certificate and writes them to dir; the
// certificate and key are owned by cred's user (servers refuse a key file
// others can read). The CA file is what a client must be told to trust.
func writeServerTLS(dir string, cred *syscall.Credential) (serverTLS, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return serverTLS{}, fmt.Errorf("ca key: %w", err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "testsrv CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return serverTLS{}, fmt.Errorf("ca: %w", err)
	}
	ca, _ := x509.ParseCertificate(caDER) // just created
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return serverTLS{}, fmt.Errorf("server key: %w", err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return serverTLS{}, fmt.Errorf("server certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return serverTLS{}, fmt.Errorf("server key: %w", err)
	}
	s := serverTLS{caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "server.pem"), keyFile: filepath.Join(dir, "server.key")}
	for _, f := range []struct {
		path, kind string
		der        []byte
	}{{s.caFile, "CERTIFICATE", caDER}, {s.certFile, "CERTIFICATE", der}, {s.keyFile, "PRIVATE KEY", keyDER}} {
		if err := os.WriteFile(f.path, pem.EncodeToMemory(&pem.Block{Type: f.kind, Bytes: f.der}), 0o600); err != nil {
			return serverTLS{}, fmt.Errorf("write %s: %w", f.kind, err)
		}
		if cred != nil && f.path != s.caFile {
			if err := os.Chown(f.path, int(cred.Uid), int(cred.Gid)); err != nil {
				return serverTLS{}, fmt.Errorf("chown: %w", err)
			}
		}
	}
	return s, nil
}
