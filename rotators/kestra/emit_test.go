package kestra

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// kestraLine is Kestra's TaskLogLineMatcher pattern. Go's "." excludes only
// \n, so the Java terminators are excluded explicitly to mirror Java.
var kestraLine = regexp.MustCompile("^::(\\{[^\n\r\u0085\u2028\u2029]*})::$")

func TestEncodeMatchesKestraPattern(t *testing.T) {
	tests := []struct {
		name string
		out  map[string]any
	}{
		{"plain", map[string]any{"rotation": "4kTq7m", "changed": true}},
		{"nel", map[string]any{"note": "a\u0085b"}},
		{"line separators", map[string]any{"note": "a\u2028b\u2029c"}},
		{"newline and cr", map[string]any{"note": "a\nb\rc"}},
		{"html", map[string]any{"note": "<a>&"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := NewEmitter(&buf).Outputs(tc.out); err != nil {
				t.Fatal(err)
			}
			line := strings.TrimSuffix(buf.String(), "\n")
			if strings.Count(buf.String(), "\n") != 1 {
				t.Fatalf("got %d newlines, want 1: %q", strings.Count(buf.String(), "\n"), buf.String())
			}
			m := kestraLine.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("line %q does not match Kestra's pattern", line)
			}
			var got struct{ Outputs map[string]any }
			if err := json.Unmarshal([]byte(m[1]), &got); err != nil {
				t.Fatalf("payload is not JSON: %v", err)
			}
			for k, want := range tc.out {
				if got.Outputs[k] != want {
					t.Errorf("outputs[%s]: got %v, want %v", k, got.Outputs[k], want)
				}
			}
		})
	}
}

func TestMetricsTagsNeverNull(t *testing.T) {
	var buf bytes.Buffer
	if err := NewEmitter(&buf).Metrics(Counter("rotation.changed", 1, nil), Timer("rotation.seconds", 0.5, map[string]string{"step": "stage"})); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	want := `::{"metrics":[{"name":"rotation.changed","type":"counter","value":1,"tags":{}},{"name":"rotation.seconds","type":"timer","value":0.5,"tags":{"step":"stage"}}]}::` + "\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
