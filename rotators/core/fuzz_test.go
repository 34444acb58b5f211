package core

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseRef: any input is either a usage error or a reference whose parts
// reassemble into what was parsed, with no path traversal.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"vault://secret/apps/db", "awssm://arn:aws:secretsmanager:us-east-1:1:secret:x-AbC", "gcpsm://p/s?x=1", "vault://a/../b", "", "://", "vault://", "a://b/c?%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			if !errors.Is(err, ErrUsage) {
				t.Fatalf("ParseRef(%q): error %v is not a usage error", s, err)
			}
			return
		}
		if r.Scheme == "" || r.Host == "" || r.String() != s {
			t.Fatalf("ParseRef(%q) = %+v: empty part or lost input", s, r)
		}
		for _, seg := range strings.Split(r.Path, "/") {
			if seg == ".." || seg == "." {
				t.Fatalf("ParseRef(%q) let %q through", s, seg)
			}
		}
	})
}

// FuzzParsePolicy: a policy that parses always generates a password of its
// length from its classes, and round-trips through String.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{"", "length=32", "length=20,symbols=2,exclude=/@\"'\\,", "upper=0,lower=0,digits=8", "length=8,upper=9", "exclude="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePolicy(s)
		if err != nil {
			if !errors.Is(err, ErrUsage) {
				t.Fatalf("ParsePolicy(%q): error %v is not a usage error", s, err)
			}
			return
		}
		if p.Length > 128 {
			return // long passwords are fine, and slow to fuzz
		}
		pw, err := p.Generate()
		if err != nil || len(pw) != p.Length || strings.ContainsAny(pw, p.Exclude) && p.Exclude != "" {
			t.Fatalf("policy %q: Generate() = %d chars, %v", s, len(pw), err)
		}
		back, err := ParsePolicy(p.String())
		if err != nil || back != p {
			t.Fatalf("policy %q does not round-trip: %+v, %v", s, back, err)
		}
	})
}

// FuzzParseValue: only JSON objects are accepted; errors never quote the
// input; an accepted value survives a marshal round trip.
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{`{"username":"app","password":"p"}`, `{"port":5432,"x":{"y":[1,2]}}`, `[]`, `null`, `"s3cret"`, `{"a":1}{"b":2}`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseValue(b)
		if err != nil {
			if !errors.Is(err, ErrUsage) || len(b) > 8 && strings.Contains(err.Error(), string(b)) {
				t.Fatalf("ParseValue: error %v is not a usage error, or quotes the input", err)
			}
			return
		}
		out, err := v.MarshalJSON()
		if err != nil || !json.Valid(out) {
			t.Fatalf("MarshalJSON after ParseValue(%q): %v", b, err)
		}
		again, err := ParseValue(out)
		if err != nil || !again.Equal(v) {
			t.Fatalf("value of %q does not round-trip", b)
		}
	})
}

// FuzzScrub: a registered value never survives scrubbing, whatever surrounds it.
func FuzzScrub(f *testing.F) {
	f.Add("hunter2-secret", "login failed for ", " at host")
	f.Add(`pa'ss"w\rd`, "PASSWORD '", "'")
	f.Fuzz(func(t *testing.T, secret, before, after string) {
		if len(secret) < minScrubLen || !utf8.ValidString(secret) {
			return
		}
		var s Scrubber
		s.Add(secret)
		if got := s.Scrub(before + secret + after); strings.Contains(got, secret) {
			t.Fatalf("Scrub left the secret in %q", got)
		}
	})
}
