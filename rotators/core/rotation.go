package core

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// MaxRotationIDLen bounds a rotation id; Kestra execution ids are 22 characters.
const MaxRotationIDLen = 128

// CheckRotationID validates a rotation id: the idempotency token and lock of
// every step. It must be printable ASCII without spaces so that it can be
// stored as metadata by every provider and printed in log lines unquoted.
func CheckRotationID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: rotation id is empty (flows pass {{ execution.id }})", ErrUsage)
	}
	if len(id) > MaxRotationIDLen {
		return fmt.Errorf("%w: rotation id is longer than %d characters", ErrUsage, MaxRotationIDLen)
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '-' || r == '_' || r == '.' || r == ':'
		if !ok {
			return fmt.Errorf("%w: rotation id %q: only letters, digits and - _ . : are allowed", ErrUsage, id)
		}
	}
	return nil
}

// ClientRequestToken derives a stable 64-character idempotency token from a
// rotation id, for providers that want one of a fixed shape (AWS needs 32 to
// 64 characters). The same id always gives the same token.
func ClientRequestToken(id string) string {
	sum := sha256.Sum256([]byte("rotation-pack/" + id))
	return hex.EncodeToString(sum[:])
}
