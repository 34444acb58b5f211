package inventory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func TestParseScope(t *testing.T) {
	tests := []struct {
		in, scheme          string
		wantHost, wantPath  string
		wantPrefix, wantErr string
	}{
		{"vault://secret/apps/", "vault", "secret", "apps/", "secret/apps/", ""},
		{"vault://secret", "vault", "secret", "", "secret", ""},
		{"awssm://", "awssm", "", "", "", ""},
		{"awssm://apps/orders-?x=1", "awssm", "apps", "orders-", "apps/orders-", ""},
		{"nosuch://a/b", "vault", "", "", "", "nosuch"},
		{"just-a-name", "vault", "", "", "", "reference"},
		{"vault://secret/../x", "vault", "", "", "", ".."},
		{"gcpsm://p/a*", "gcpsm", "", "", "", "bad character"},
	}
	for _, tc := range tests {
		s, err := ParseScope(tc.in, tc.scheme)
		switch {
		case tc.wantErr != "":
			if err == nil || !errors.Is(err, core.ErrUsage) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseScope(%q): got %v, want a usage error naming %q", tc.in, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("ParseScope(%q): %v", tc.in, err)
		case s.Host != tc.wantHost || s.Path != tc.wantPath || s.Prefix != tc.wantPrefix:
			t.Errorf("ParseScope(%q): got host %q path %q prefix %q, want %q %q %q", tc.in, s.Host, s.Path, s.Prefix, tc.wantHost, tc.wantPath, tc.wantPrefix)
		}
	}
}

func TestParseMaxAge(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"90d", 90 * 24 * time.Hour}, {"36h", 36 * time.Hour}, {"1.5s", 1500 * time.Millisecond},
		{"0d", 0}, {"-1h", 0}, {"d", 0}, {"ninety", 0}, {"", 0},
	}
	for _, tc := range tests {
		got, err := ParseMaxAge(tc.in)
		if tc.want == 0 && (err == nil || !errors.Is(err, core.ErrUsage)) || tc.want != 0 && (err != nil || got != tc.want) {
			t.Errorf("ParseMaxAge(%q): got %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestTagFilter(t *testing.T) {
	f, err := ParseTagFilter("team=orders, pci ,env=")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tags map[string]string
		want bool
	}{
		{map[string]string{"team": "orders", "pci": "yes", "env": ""}, true},
		{map[string]string{"team": "orders", "pci": "", "env": "", "x": "y"}, true},
		{map[string]string{"team": "billing", "pci": "yes", "env": ""}, false},
		{map[string]string{"team": "orders", "env": ""}, false},
		{map[string]string{"team": "orders", "pci": "yes", "env": "prod"}, false},
		{nil, false},
	}
	for _, tc := range tests {
		if got := f.Match(tc.tags); got != tc.want {
			t.Errorf("Match(%v): got %v, want %v", tc.tags, got, tc.want)
		}
	}
	if empty, _ := ParseTagFilter(""); !empty.Match(nil) {
		t.Error("an empty filter must match every secret")
	}
	if _, err := ParseTagFilter("=x"); !errors.Is(err, core.ErrUsage) {
		t.Errorf("ParseTagFilter(=x): got %v, want a usage error", err)
	}
}

func TestNewRecord(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		name        string
		since       time.Time
		wantOverdue bool
		wantDue     string
	}{
		{"fresh", now.Add(-10 * day), false, "2026-08-20T00:00:00Z"},
		{"exactly due", now.Add(-90 * day), true, "2026-06-01T00:00:00Z"},
		{"long ago", now.Add(-400 * day), true, "2025-07-26T00:00:00Z"},
		{"unknown age", time.Time{}, true, ""},
	}
	for _, tc := range tests {
		r := NewRecord(Facts{Secret: "vault://secret/a", CurrentSince: tc.since}, now, 90*day)
		if r.Overdue != tc.wantOverdue || ts(r.NextDue) != tc.wantDue {
			t.Errorf("%s: got overdue %v next_due %q, want %v %q", tc.name, r.Overdue, ts(r.NextDue), tc.wantOverdue, tc.wantDue)
		}
	}
}

func TestWriters(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	recs := []Record{
		NewRecord(Facts{Secret: "awssm://=cmd|x", Created: at, CurrentSince: at, CurrentVersion: "v1", Versions: 1}, at, time.Hour),
		NewRecord(Facts{Secret: "awssm://b", Pending: true, PendingRot: "r1"}, at, time.Hour),
	}
	var j, c bytes.Buffer
	if err := WriteJSONL(&j, recs); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&c, recs); err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"secret":"awssm://=cmd|x","created":"2026-01-02T02:04:05Z","current_version":"v1","current_since":"2026-01-02T02:04:05Z",` +
		`"last_rotated":null,"rotation":"","strategy":"","versions":1,"pending_left_over":false,"pending_rotation":"","pending_since":null,` +
		`"next_due":"2026-01-02T03:04:05Z","overdue":false}`
	if got := strings.Split(j.String(), "\n")[0]; got != wantJSON {
		t.Errorf("jsonl line:\n got %s\nwant %s", got, wantJSON)
	}
	lines := strings.Split(strings.TrimSpace(c.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "secret,created,") || lines[2] != "awssm://b,,,,,,,0,true,r1,,,true" {
		t.Errorf("csv:\n%s", c.String())
	}
	if got := cell("=SUM(A1)"); got != "'=SUM(A1)" {
		t.Errorf("cell(=SUM(A1)) = %q: a spreadsheet would run it", got)
	}
}

// fakeLister hands out n facts; every third is overdue, every fifth stuck.
type fakeLister struct {
	n   int
	err error
}

func (l fakeLister) List(_ context.Context, s Scope, fn func(Facts) error) error {
	for i := range l.n {
		f := Facts{Secret: fmt.Sprintf("%s://%ss-%04d", s.Scheme, s.Prefix, i), CurrentSince: time.Now().Add(-time.Hour),
			Tags: map[string]string{"team": []string{"a", "b"}[i%2]}}
		if i%3 == 0 {
			f.CurrentSince = time.Now().Add(-5000 * time.Hour)
		}
		if i%5 == 0 {
			f.Pending, f.PendingRot = true, fmt.Sprintf("r-%d", i)
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return l.err
}

func run(t *testing.T, l Lister, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	c := Command("vault", func(context.Context) (Lister, error) { return l, nil })
	var out, errOut bytes.Buffer
	code = step.Run(c, args, strings.NewReader(""), &out, &errOut, func(string) string { return "" })
	return code, out.String(), errOut.String()
}

func TestCommand(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := run(t, fakeLister{n: 600}, "--prefix", "vault://secret/apps/", "--max-age", "30d", "--output-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d, want 0 even with secrets overdue:\n%s", code, out)
	}
	for _, want := range []string{`"total":600`, `"overdue":200`, `"stuck":120`, `"never_rotated":600`, "msg=progress listed=250",
		"msg=progress listed=500", `"name":"inventory.overdue","type":"counter","value":200`} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %s:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "msg=finding "); n != 50 || !strings.Contains(out, "not_shown=") {
		t.Errorf("got %d finding lines, want 50 and a not_shown count", n)
	}
	b, err := os.ReadFile(filepath.Join(dir, "vault-inventory.jsonl"))
	if err != nil || strings.Count(string(b), "\n") != 600 || !strings.HasPrefix(string(b), `{"secret":"vault://secret/apps/s-0000"`) {
		t.Errorf("jsonl report: %d lines, %v", strings.Count(string(b), "\n"), err)
	}
	code, out, _ = run(t, fakeLister{n: 600}, "--prefix", "vault://secret/apps/", "--tag", "team=b", "--output-dir", dir)
	if code != 0 || !strings.Contains(out, `"total":300`) {
		t.Errorf("--tag team=b: exit %d, want 300 secrets:\n%s", code, out)
	}
}

func TestCommandExitCodes(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		lister   fakeLister
		args     []string
		wantCode int
		wantErr  string
	}{
		{"fail on overdue", fakeLister{n: 10}, []string{"--fail-on-overdue"}, core.ExitRejected, "4 of 10 secrets"},
		{"nothing overdue", fakeLister{n: 1}, []string{"--fail-on-overdue", "--max-age", "3650d"}, core.ExitRejected, "1 have a PENDING"},
		{"clean", fakeLister{n: 0}, []string{"--fail-on-overdue"}, 0, ""},
		{"lister fails", fakeLister{n: 3, err: fmt.Errorf("%w: vault sealed", core.ErrUnavailable)}, nil, core.ExitUnavailable, "sealed"},
		{"no output dir", fakeLister{}, []string{"--output-dir", filepath.Join(dir, "nope")}, core.ExitUsage, "output-dir"},
		{"bad max age", fakeLister{}, []string{"--max-age", "90days"}, core.ExitUsage, "max-age"},
		{"other store", fakeLister{}, []string{"--prefix", "awssm://apps/"}, core.ExitUsage, "awssm"},
	}
	for _, tc := range tests {
		args := append([]string{"--prefix", "vault://secret/apps/", "--output-dir", dir}, tc.args...)
		code, _, stderr := run(t, tc.lister, args...)
		if code != tc.wantCode || !strings.Contains(stderr, tc.wantErr) {
			t.Errorf("%s: got exit %d, stderr %q; want %d naming %q", tc.name, code, stderr, tc.wantCode, tc.wantErr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("output dir holds %d files, want the two reports and no temporary file", len(entries))
	}
}
