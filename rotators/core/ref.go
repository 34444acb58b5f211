package core

import (
	"fmt"
	"net/url"
	"strings"
)

// Ref is a parsed secret reference such as vault://secret/apps/db or
// awssm://prod/db?region=eu-west-1. Options go in the query.
type Ref struct {
	Scheme string     // store name: vault, awssm, azkv, gcpsm
	Host   string     // first segment: Vault mount, AWS name, Azure vault, GCP project
	Path   string     // rest of the path without a leading slash; may be empty
	Query  url.Values // options
	raw    string
}

// String returns the reference as the user wrote it (it holds no secret).
func (r Ref) String() string { return r.raw }

// ParseRef parses a secret reference. It never contacts the store.
func ParseRef(s string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("%w: secret reference is empty", ErrUsage)
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme == "" {
		return Ref{}, fmt.Errorf("%w: secret reference %q: want <store>://<path>, for example vault://secret/apps/db", ErrUsage, s)
	}
	for _, c := range scheme {
		if c < 'a' || c > 'z' {
			return Ref{}, fmt.Errorf("%w: secret reference %q: store name must be lower-case letters", ErrUsage, s)
		}
	}
	rest, rawQuery, _ := strings.Cut(rest, "?")
	if strings.ContainsAny(rest, "#\x00\n\r") {
		return Ref{}, fmt.Errorf("%w: secret reference %q: bad character in path", ErrUsage, s)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return Ref{}, fmt.Errorf("%w: secret reference %q: bad options: %v", ErrUsage, s, err)
	}
	host, path, _ := strings.Cut(rest, "/")
	path = strings.Trim(path, "/")
	if host == "" {
		return Ref{}, fmt.Errorf("%w: secret reference %q: missing %s after %s://", ErrUsage, s, "name", scheme)
	}
	for _, seg := range strings.Split(path, "/") {
		if seg == "." || seg == ".." {
			return Ref{}, fmt.Errorf("%w: secret reference %q: . and .. are not allowed in paths", ErrUsage, s)
		}
	}
	return Ref{Scheme: scheme, Host: host, Path: path, Query: q, raw: s}, nil
}

// Option returns a query option, or def when it is absent.
func (r Ref) Option(name, def string) string {
	if v := r.Query.Get(name); v != "" {
		return v
	}
	return def
}
