package postgres

import (
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// TestSSLModeDefault: verify-full unless every host is this machine; an
// explicit sslmode (secret, else PGSSLMODE) always wins.
func TestSSLModeDefault(t *testing.T) {
	tests := []struct {
		name, secretHost, secretMode, pghost, pgsslmode, want string
	}{
		{"remote name", "db.example.com", "", "", "", "verify-full"},
		{"remote IP", "10.0.0.5", "", "", "", "verify-full"},
		{"IPv6 remote", "2001:db8::1", "", "", "", "verify-full"},
		{"127.0.0.1", "127.0.0.1", "", "", "", "prefer"},
		{"127.8.9.10", "127.8.9.10", "", "", "", "prefer"},
		{"::1", "::1", "", "", "", "prefer"},
		{"localhost", "localhost", "", "", "", "prefer"},
		{"unix socket", "/var/run/postgresql", "", "", "", "prefer"},
		{"no host: pgx default", "", "", "", "", "prefer"},
		{"PGHOST remote", "", "", "db.example.com", "", "verify-full"},
		{"PGHOST loopback", "", "", "localhost", "", "prefer"},
		{"secret host beats PGHOST", "127.0.0.1", "", "db.example.com", "", "prefer"},
		{"host list all loopback", "127.0.0.1,localhost", "", "", "", "prefer"},
		{"host list with a remote", "127.0.0.1, db.example.com", "", "", "", "verify-full"},
		{"secret sslmode wins", "db.example.com", "require", "", "", "require"},
		{"secret sslmode on loopback", "127.0.0.1", "verify-full", "", "", "verify-full"},
		{"PGSSLMODE left to pgx", "db.example.com", "", "", "disable", ""},
		{"secret beats PGSSLMODE", "db.example.com", "verify-ca", "", "disable", "verify-ca"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PGHOST", tc.pghost)
			t.Setenv("PGSSLMODE", tc.pgsslmode)
			creds, _ := core.ParseValue([]byte(`{}`)) // a literal object always parses
			if tc.secretHost != "" {
				creds = creds.With("host", tc.secretHost)
			}
			if tc.secretMode != "" {
				creds = creds.With("sslmode", tc.secretMode)
			}
			if got := sslMode(creds); got != tc.want {
				t.Errorf("sslMode(host %q, sslmode %q, PGHOST %q, PGSSLMODE %q) = %q, want %q",
					tc.secretHost, tc.secretMode, tc.pghost, tc.pgsslmode, got, tc.want)
			}
		})
	}
}
