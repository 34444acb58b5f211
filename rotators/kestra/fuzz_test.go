package kestra

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzOutputs: whatever the strings, the line is one line that Kestra's
// pattern matches (with Java's line terminators excluded) and its JSON gives
// the same values back.
func FuzzOutputs(f *testing.F) {
	for _, s := range []string{"plain", "a\u0085b", "a\u2028b\u2029c", "x\ny\rz", "<&>", "::{}::", "\x00\x1f"} {
		f.Add("key", s)
	}
	f.Fuzz(func(t *testing.T, k, v string) {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return // encoding/json replaces invalid UTF-8; values here are ids and versions
		}
		var buf bytes.Buffer
		if err := NewEmitter(&buf).Outputs(map[string]any{k: v}); err != nil {
			t.Fatal(err)
		}
		line := strings.TrimSuffix(buf.String(), "\n")
		if strings.Contains(line, "\n") {
			t.Fatalf("more than one line: %q", buf.String())
		}
		m := kestraLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line %q does not match Kestra's pattern", line)
		}
		var got struct{ Outputs map[string]string }
		if err := json.Unmarshal([]byte(m[1]), &got); err != nil || got.Outputs[k] != v {
			t.Fatalf("round trip: got %q, %v; want %q", got.Outputs[k], err, v)
		}
	})
}
