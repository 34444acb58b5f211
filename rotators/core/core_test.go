package core

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in                 string
		scheme, host, path string
		opt                string
		wantErr            bool
	}{
		{in: "vault://secret/apps/db", scheme: "vault", host: "secret", path: "apps/db"},
		{in: "vault://secret/apps/db?pending=staging", scheme: "vault", host: "secret", path: "apps/db", opt: "staging"},
		{in: "awssm://prod/db", scheme: "awssm", host: "prod", path: "db"},
		{in: "gcpsm://my-project/db-password", scheme: "gcpsm", host: "my-project", path: "db-password"},
		{in: "", wantErr: true},
		{in: "secret/apps/db", wantErr: true},
		{in: "VAULT://secret/x", wantErr: true},
		{in: "vault:///x", wantErr: true},
		{in: "vault://secret/../sys", wantErr: true},
		{in: "vault://../apps/db", wantErr: true},
		{in: "vault://./apps/db", wantErr: true},
		{in: "vault://secret/apps//db", wantErr: true},
		{in: "vault://secret/apps/db/", wantErr: true},
		{in: "vault://secret//apps/db", wantErr: true},
		{in: "vault://secret/apps/db?pending=../x", wantErr: true},
		{in: "vault://secret/apps/db?pending=_p/./x", wantErr: true},
		{in: "vault://secret/apps/db?pending=", wantErr: true},
		{in: "gcpsm://p/db?pending=a//b", wantErr: true},
		{in: "vault://secret/a\nb", wantErr: true},
		{in: "vault://secret/a?%zz", wantErr: true},
	}
	for _, tc := range tests {
		got, err := ParseRef(tc.in)
		if tc.wantErr {
			if !errors.Is(err, ErrUsage) {
				t.Errorf("ParseRef(%q): got err %v, want ErrUsage", tc.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRef(%q): %v", tc.in, err)
			continue
		}
		if got.Scheme != tc.scheme || got.Host != tc.host || got.Path != tc.path || got.Query.Get("pending") != tc.opt || got.String() != tc.in {
			t.Errorf("ParseRef(%q) = %+v, want %s %s %s %s", tc.in, got, tc.scheme, tc.host, tc.path, tc.opt)
		}
	}
}

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		spec    string
		want    Policy
		wantErr bool
	}{
		{spec: "", want: DefaultPolicy},
		{spec: "length=40", want: Policy{Length: 40, Upper: 1, Lower: 1, Digits: 1}},
		{spec: `length=20,symbols=2,exclude=/@"'\,`, want: Policy{Length: 20, Upper: 1, Lower: 1, Digits: 1, Symbols: 2, Exclude: `/@"'\,`}},
		{spec: "length=7", wantErr: true},
		{spec: "length=2000", wantErr: true},
		{spec: "length=x", wantErr: true},
		{spec: "colour=3", wantErr: true},
		{spec: "upper=0,lower=0,digits=0", wantErr: true},
		{spec: "length=8,upper=5,lower=5", wantErr: true},
		{spec: "digits=1,exclude=0123456789", wantErr: true},
		{spec: "length", wantErr: true},
	}
	for _, tc := range tests {
		got, err := ParsePolicy(tc.spec)
		if tc.wantErr {
			if !errors.Is(err, ErrUsage) {
				t.Errorf("ParsePolicy(%q): got err %v, want ErrUsage", tc.spec, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParsePolicy(%q) = %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
		if back, err := ParsePolicy(got.String()); err != nil || back != got {
			t.Errorf("ParsePolicy(%q.String()) = %+v, %v; want round trip", tc.spec, back, err)
		}
	}
}

func TestGenerateFollowsPolicy(t *testing.T) {
	tests := []string{"", "length=8,upper=2,lower=2,digits=2,symbols=2", `length=64,symbols=3,exclude=/@"'\`, "length=12,upper=0,lower=0,digits=12"}
	for _, spec := range tests {
		p, err := ParsePolicy(spec)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for i := 0; i < 200; i++ {
			pw, err := p.Generate()
			if err != nil {
				t.Fatal(err)
			}
			if len(pw) != p.Length {
				t.Fatalf("%q: got length %d, want %d", spec, len(pw), p.Length)
			}
			if seen[pw] {
				t.Fatalf("%q: repeated password after %d draws", spec, i)
			}
			seen[pw] = true
			for _, c := range p.classes() {
				n := 0
				for _, r := range pw {
					if strings.ContainsRune(c.chars, r) {
						n++
					}
				}
				if n < c.min {
					t.Fatalf("%q: got %d %s characters, want at least %d", spec, n, c.name, c.min)
				}
			}
			if strings.ContainsAny(pw, p.Exclude) && p.Exclude != "" {
				t.Fatalf("%q: password contains an excluded character", spec)
			}
		}
	}
}

func TestGenerateUsesWholeAlphabet(t *testing.T) {
	p := Policy{Length: 64, Upper: 1, Lower: 1, Digits: 1, Symbols: 1}
	counts := map[rune]int{}
	for i := 0; i < 400; i++ {
		pw, err := p.Generate()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range pw {
			counts[r]++
		}
	}
	alphabet := upperChars + lowerChars + digitChars + symbolChars
	for _, r := range alphabet {
		if counts[r] == 0 {
			t.Errorf("character %q never drawn in 25600 draws", r)
		}
	}
}

func TestValue(t *testing.T) {
	v, err := ParseValue([]byte(`{"engine":"postgres","host":"db","port":5432,"username":"app","password":"s3cr3t-pw","extra":{"a":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Text("port"); got != "5432" {
		t.Errorf("Text(port) = %q, want 5432", got)
	}
	w := v.With("password", "n3w-pw-value")
	if got, _ := v.String("password"); got != "s3cr3t-pw" {
		t.Errorf("With changed the original: %q", got)
	}
	if got, _ := w.String("password"); got != "n3w-pw-value" {
		t.Errorf("With: got %q", got)
	}
	sens := w.Sensitive()
	if !contains(sens, "n3w-pw-value") || contains(sens, "app") || contains(sens, "db") {
		t.Errorf("Sensitive() = %q: want the password, not the username or host", sens)
	}
	for _, bad := range []string{`[]`, `"x"`, `null`, `{"a":1} {"b":2}`, `{`, `not json s3cr3t`} {
		_, err := ParseValue([]byte(bad))
		if !errors.Is(err, ErrUsage) || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("ParseValue(%q): got %v, want ErrUsage without the input", bad, err)
		}
	}
}

func TestScrubber(t *testing.T) {
	var s Scrubber
	s.Add(`pa'ss"w\rd/+1`, "abc")
	tests := []struct{ in, want string }{
		{`login with pa'ss"w\rd/+1 failed`, "login with [REDACTED] failed"},
		{`{"password":"pa'ss\"w\\rd/+1"}`, `{"password":"[REDACTED]"}`},
		{`password=pa%27ss%22w%5Crd%2F%2B1`, "password=[REDACTED]"},
		{`PASSWORD 'pa''ss"w\rd/+1'`, "PASSWORD '[REDACTED]'"},
		{"abc is too short to scrub", "abc is too short to scrub"},
	}
	for _, tc := range tests {
		if got := s.Scrub(tc.in); got != tc.want {
			t.Errorf("Scrub(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{fmt.Errorf("x: %w", ErrUsage), 2},
		{fmt.Errorf("x: %w", ErrNotFound), 2},
		{fmt.Errorf("x: %w", ErrDenied), 2},
		{fmt.Errorf("x: %w", ErrUnavailable), 3},
		{fmt.Errorf("x: %w", ErrRejected), 4},
		{fmt.Errorf("x: %w", ErrConflict), 5},
		// An untrusted server certificate is configuration, even wrapped as unavailable.
		{fmt.Errorf("%w: get: %w", ErrUnavailable, x509.UnknownAuthorityError{}), 2},
		{fmt.Errorf("%w: get: %w", ErrUnavailable, x509.HostnameError{Host: "h", Certificate: &x509.Certificate{}}), 2},
		{fmt.Errorf("get: %v", "tls: failed to verify certificate: x509: certificate signed by unknown authority"), 2},
	}
	for _, tc := range tests {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
		if tc.want > 1 && ExitCode(ErrorForExit(tc.want)) != tc.want {
			t.Errorf("ErrorForExit(%d) does not map back", tc.want)
		}
	}
}

func TestRotationID(t *testing.T) {
	for _, ok := range []string{"4kTq7mXYZabc", "exec-1.2:3_x"} {
		if err := CheckRotationID(ok); err != nil {
			t.Errorf("CheckRotationID(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a b", "a\nb", "x;rm", strings.Repeat("a", 129)} {
		if err := CheckRotationID(bad); !errors.Is(err, ErrUsage) {
			t.Errorf("CheckRotationID(%q): got %v, want ErrUsage", bad, err)
		}
	}
	tok := ClientRequestToken("abc")
	if len(tok) != 64 || tok != ClientRequestToken("abc") || tok == ClientRequestToken("abd") {
		t.Errorf("ClientRequestToken: got %q, want a stable distinct 64-char token", tok)
	}
}
