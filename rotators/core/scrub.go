package core

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Redacted replaces a secret value wherever one would have been printed.
const Redacted = "[REDACTED]"

// minScrubLen keeps the scrubber from redacting tiny values such as "1" that
// would mangle every line; generated secrets are far longer.
const minScrubLen = 4

// Scrubber removes every registered secret value from text, in the encodings
// it is likely to appear in: raw, JSON-escaped, URL-escaped and SQL-quoted.
// It is safe for concurrent use. The zero value is ready.
type Scrubber struct {
	mu     sync.RWMutex
	values []string // longest first, so a value containing another is removed whole
}

// Add registers secret values. Values shorter than four bytes are ignored.
func (s *Scrubber) Add(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if len(v) < minScrubLen {
			continue
		}
		for _, form := range encodings(v) {
			if !contains(s.values, form) {
				s.values = append(s.values, form)
			}
		}
	}
	sort.Slice(s.values, func(i, j int) bool { return len(s.values[i]) > len(s.values[j]) })
}

// AddValue registers every string field of a secret value that could be a
// secret (see Value.Sensitive), and the whole JSON document.
func (s *Scrubber) AddValue(v Value) {
	s.Add(v.Sensitive()...)
}

// Scrub returns text with every registered value replaced by [REDACTED].
func (s *Scrubber) Scrub(text string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.values {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, Redacted)
		}
	}
	return text
}

func encodings(v string) []string {
	forms := []string{v}
	if b, err := json.Marshal(v); err == nil {
		forms = append(forms, string(b[1:len(b)-1]))
	}
	forms = append(forms, url.QueryEscape(v), url.PathEscape(v), strings.ReplaceAll(v, "'", "''"))
	out := forms[:0]
	for _, f := range forms {
		if len(f) >= minScrubLen && !contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
