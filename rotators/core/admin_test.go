package core_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

func mustValue(t *testing.T, s string) core.Value {
	t.Helper()
	v, err := core.ParseValue([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestAdminEndpoint: where LogIn sends an admin credential, and what it refuses.
func TestAdminEndpoint(t *testing.T) {
	admin := `{"username":"rotator","password":"adm1n","host":"db.internal","port":"5432","sslmode":"verify-full"`
	tests := []struct {
		name       string
		admin      string
		host, port string // the account's server
		wantHost   string // "" when refused
		wantPort   string
		wantErr    string
	}{
		{"account on the admin's server", admin + `}`, "db.internal", "5432", "db.internal", "5432", ""},
		{"host names compare case-insensitively", admin + `}`, "DB.Internal", "", "DB.Internal", "5432", ""},
		{"account names no server", admin + `}`, "", "", "db.internal", "5432", ""},
		{"account on another server", admin + `}`, "evil.example", "5432", "", "", "does not name"},
		{"account on another port", admin + `}`, "db.internal", "6543", "", "", "does not name"},
		{"admin without host", `{"username":"rotator","password":"adm1n"}`, "db.internal", "5432", "", "", "names no host"},
		{"hosts list as JSON", admin + `,"hosts":["cache-1:6380","cache-2"]}`, "cache-2", "5432", "cache-2", "5432", ""},
		{"hosts list with commas", admin + `,"hosts":"cache-1:6380, cache-2:6381"}`, "cache-2", "6381", "cache-2", "6381", ""},
		{"bare host in hosts means the default port", admin + `,"hosts":["cache-2"]}`, "cache-2", "6381", "", "", "does not name"},
		{"hosts of another type allow nothing more", admin + `,"hosts":{"cache-2":true}}`, "cache-2", "5432", "", "", "does not name"},
		{"ipv6 in hosts", admin + `,"hosts":["[::1]:7000"]}`, "::1", "7000", "::1", "7000", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := core.AdminLogin{Admin: mustValue(t, tt.admin), Host: tt.host, Port: tt.port, DefaultPort: "5432",
				Current: mustValue(t, `{"username":"app","password":"cur"}`), Carry: map[string]string{"dbname": "orders", "sslmode": "disable"}}
			var sent []core.Value
			_, in, err := core.LogIn(context.Background(), l, func(_ context.Context, v core.Value) (int, error) {
				sent = append(sent, v)
				return 1, nil
			})
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, core.ErrUsage) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want usage error containing %q", err, tt.wantErr)
				}
				if len(sent) != 0 {
					t.Errorf("got %d connection attempts, want none before the refusal", len(sent))
				}
				return
			}
			if err != nil || len(sent) != 1 || !in.Admin {
				t.Fatalf("got %d attempts, login %+v, error %v; want one admin login", len(sent), in, err)
			}
			got := sent[0]
			if got.Text("host") != tt.wantHost || got.Text("port") != tt.wantPort {
				t.Errorf("sent to %s:%s, want %s:%s", got.Text("host"), got.Text("port"), tt.wantHost, tt.wantPort)
			}
			if pw, _ := got.String("password"); pw != "adm1n" {
				t.Errorf("logged in with another password than the admin's")
			}
			if got.Text("dbname") != "orders" || got.Text("sslmode") != "verify-full" {
				t.Errorf("dbname %q sslmode %q: want dbname carried, the admin's own sslmode kept", got.Text("dbname"), got.Text("sslmode"))
			}
		})
	}
}

// TestLogInOrder: without an admin, CURRENT then PREVIOUS; errors say who was refused.
func TestLogInOrder(t *testing.T) {
	cur := mustValue(t, `{"username":"app","password":"cur"}`)
	prev := mustValue(t, `{"username":"app","password":"prev"}`)
	admin := mustValue(t, `{"username":"rotator","password":"adm1n","host":"db"}`)
	refuse := func(accept string) func(context.Context, core.Value) (int, error) {
		return func(_ context.Context, v core.Value) (int, error) {
			if pw, _ := v.String("password"); pw == accept {
				return 1, nil
			}
			return 0, core.ErrRejected
		}
	}
	tests := []struct {
		name    string
		l       core.AdminLogin
		accept  string
		want    string // login name, or the error's text
		wantErr error
	}{
		{"current first", core.AdminLogin{Current: cur, Previous: prev}, "cur", "current credential", nil},
		{"previous next", core.AdminLogin{Current: cur, Previous: prev}, "prev", "previous credential", nil},
		{"neither", core.AdminLogin{Current: cur, Previous: prev}, "none", "neither CURRENT nor PREVIOUS", core.ErrDenied},
		{"nothing to try", core.AdminLogin{}, "none", "no credential to log in with", core.ErrDenied},
		{"admin only, never the account's own", core.AdminLogin{Admin: admin, Current: cur, DefaultPort: "5432"}, "cur", "admin credential was refused by db:5432", core.ErrDenied},
		{"admin named", core.AdminLogin{Admin: admin, AdminName: "REDIS_URL credential", DefaultPort: "6379"}, "adm1n", "REDIS_URL credential", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, in, err := core.LogIn(context.Background(), tt.l, refuse(tt.accept))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("got error %v, want %v containing %q", err, tt.wantErr, tt.want)
				}
				return
			}
			if err != nil || in.Name != tt.want {
				t.Errorf("got login %q, error %v; want %q", in.Name, err, tt.want)
			}
		})
	}
}
