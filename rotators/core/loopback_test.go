package core_test

import (
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true}, {"127.0.0.1", true}, {"127.255.0.9", true}, {"::1", true},
		{"", false}, {"10.0.0.1", false}, {"db.example.com", false}, {"localhost.example.com", false},
		{"::ffff:10.0.0.1", false}, {"0.0.0.0", false}, {"[::1]", false},
	}
	for _, tc := range tests {
		if got := core.IsLoopback(tc.host); got != tc.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
}
