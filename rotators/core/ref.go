package core

import (
	"errors"
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
	if host == "" {
		return Ref{}, fmt.Errorf("%w: secret reference %q: missing %s after %s://", ErrUsage, s, "name", scheme)
	}
	if err := checkSegments(rest); err != nil {
		return Ref{}, fmt.Errorf("%w: secret reference %q: %v", ErrUsage, s, err)
	}
	for name, vals := range q {
		for _, v := range vals {
			if err := checkSegments(v); err != nil {
				return Ref{}, fmt.Errorf("%w: secret reference %q: option %s: %v", ErrUsage, s, name, err)
			}
		}
	}
	return Ref{Scheme: scheme, Host: host, Path: path, Query: q, raw: s}, nil
}

// checkSegments refuses ., .. and empty segments anywhere in a path (the
// store's name or mount included), so that no part of a reference can
// climb out of, or fold into, another location (docs/security.md).
func checkSegments(p string) error {
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "":
			return errors.New("empty path segments (// or a leading or trailing /) are not allowed")
		case ".", "..":
			return errors.New(". and .. are not allowed as path segments")
		}
	}
	return nil
}

// Option returns a query option, or def when it is absent.
func (r Ref) Option(name, def string) string {
	if v := r.Query.Get(name); v != "" {
		return v
	}
	return def
}

// SiblingSuffix names the sibling secret that holds PENDING in stores where
// a new version would be what readers get (azkv, gcpsm): <name>-pending.
const SiblingSuffix = "-pending"

// PendingSibling is the name of ref's PENDING sibling. It is derived, never
// chosen: a ?pending= option could name another, existing secret, which a
// stage would overwrite and a rollback destroy. A name that ends in
// -pending is itself a sibling and is refused as a secret to rotate.
func PendingSibling(ref Ref) (string, error) {
	if ref.Query.Has("pending") {
		return "", fmt.Errorf("%w: %s: ?pending= is not accepted by %s://: PENDING is always kept in <name>%s", ErrUsage, ref, ref.Scheme, SiblingSuffix)
	}
	if strings.HasSuffix(strings.ToLower(ref.Path), SiblingSuffix) {
		return "", fmt.Errorf("%w: %s: a name ending in %s holds another secret's PENDING value; name that secret instead", ErrUsage, ref, SiblingSuffix)
	}
	return ref.Path + SiblingSuffix, nil
}
