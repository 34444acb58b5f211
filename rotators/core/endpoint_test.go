package core_test

import (
	"errors"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

func TestAppEndpoint(t *testing.T) {
	tests := []struct {
		name, secret, envHost, port string
		ok                          bool
	}{
		{"secret names its host", `{"host":"db.internal"}`, "evil.example", "5432", true},
		{"no host, no server from the environment", `{}`, "", "5432", true},
		{"no host, server from the environment, no list", `{}`, "evil.example", "5432", false},
		{"listed as host:port", `{"hosts":["db-1:5432","db-2:5432"]}`, "db-2", "5432", true},
		{"listed, other port", `{"hosts":["db-1:5432"]}`, "db-1", "6543", false},
		{"bare host means the default port", `{"hosts":"db-1, db-2"}`, "DB-2.", "5432", true},
		{"not listed", `{"hosts":"db-1:5432"}`, "evil.example", "5432", false},
		{"hosts of another type names nothing", `{"hosts":{"db-1":true}}`, "db-1", "5432", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := core.ParseValue([]byte(tc.secret))
			if err != nil {
				t.Fatal(err)
			}
			err = core.AppEndpoint(v, tc.envHost, tc.port, "5432", "PGHOST")
			if got := err == nil; got != tc.ok {
				t.Fatalf("AppEndpoint(%s, %q, %q): err %v, want ok %v", tc.secret, tc.envHost, tc.port, err, tc.ok)
			}
			if err != nil && !errors.Is(err, core.ErrUsage) {
				t.Errorf("got %v, want ErrUsage", err)
			}
		})
	}
}
