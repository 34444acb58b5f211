package azkvdouble

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// newTLS makes a throw-away CA and a server certificate for the loopback
// names, writes the CA's PEM to caFile and returns the server's TLS config.
func newTLS(caFile string) (*tls.Config, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("azkv test double: ca key: %w", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "azkv test double CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("azkv test double: ca: %w", err)
	}
	ca, _ := x509.ParseCertificate(caDER) // just created
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("azkv test double: key: %w", err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("azkv test double: certificate: %w", err)
	}
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		return nil, fmt.Errorf("azkv test double: %w", err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// serveToken is the managed-identity token endpoint (App Service kind,
// api-version 2019-08-01): it wants the identity header and a resource.
func (d *TestDouble) serveToken(w http.ResponseWriter, r *http.Request) {
	resource := r.URL.Query().Get("resource")
	if r.Header.Get("X-IDENTITY-HEADER") != d.header || resource == "" {
		writeError(w, http.StatusBadRequest, "invalid_request", "missing or wrong X-IDENTITY-HEADER or resource")
		return
	}
	token := "double-" + randomHex(24)
	d.mu.Lock()
	d.tokens[token] = true
	d.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"access_token": token, "token_type": "Bearer", "resource": resource,
		"expires_on": strconv.FormatInt(d.now().Add(time.Hour).Unix(), 10)})
}

// authorized answers the Key Vault challenge unless the request carries a
// token the token endpoint issued.
func (d *TestDouble) authorized(w http.ResponseWriter, r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	d.mu.Lock()
	ok = ok && d.tokens[token]
	d.mu.Unlock()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="`+Resource+`"`)
		writeError(w, http.StatusUnauthorized, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.")
	}
	return ok
}

func writeError(w http.ResponseWriter, code int, errCode, msg string) {
	writeErrorInner(w, code, errCode, msg, "")
}

func writeErrorInner(w http.ResponseWriter, code int, errCode, msg, inner string) {
	body := map[string]any{"code": errCode, "message": msg}
	if inner != "" {
		body["innererror"] = map[string]string{"code": inner}
	}
	writeJSON(w, code, map[string]any{"error": body})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
