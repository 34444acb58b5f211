package postgres

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	scramIterations       = 4096 // PostgreSQL's default scram_iterations
	defaultConnectTimeout = 10 * time.Second
)

// passwordLiteral returns the SQL literal for ALTER ROLE ... PASSWORD. For
// printable ASCII passwords (SASLprep leaves them unchanged) it is a
// SCRAM-SHA-256 verifier, as psql's \password sends, so the clear password is
// never in a statement. Other passwords are sent quoted and the server hashes
// them with its own SASLprep.
func passwordLiteral(password string) (string, error) {
	for _, r := range password {
		if r < 0x20 || r > 0x7e {
			return quoteLiteral(password), nil
		}
	}
	v, err := scramVerifier(password)
	if err != nil {
		return "", err
	}
	return quoteLiteral(v), nil
}

func scramVerifier(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, scramIterations, sha256.Size)
	if err != nil {
		return "", fmt.Errorf("pbkdf2: %w", err)
	}
	clientKey := mac(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	serverKey := mac(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", scramIterations, b64(salt), b64(stored[:]), b64(serverKey)), nil
}

func mac(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// quoteLiteral makes an escape-string literal E'...' that is safe whatever
// standard_conforming_strings says: backslashes and quotes are doubled.
func quoteLiteral(s string) string {
	return "E'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}

// ident quotes a role name; pgx doubles embedded quotes, so a role name can
// never end the identifier and inject SQL.
func ident(name string) string { return pgx.Identifier{name}.Sanitize() }
