// Package inventory is the store-independent part of <store>-inventory:
// which secrets exist under a prefix, when each was created and last
// rotated, by which rotation and strategy, how many versions it keeps,
// whether a PENDING is left over from an unfinished rotation, and when the
// next rotation is due. It never reads, prints or writes a secret value:
// each store's narrow lister (rotators/<store>/inventory.go) hands it
// metadata only.
//
// The report goes to two files, <store>-inventory.jsonl and
// <store>-inventory.csv, that a flow keeps with outputFiles, and the counts
// (total, overdue, stuck) to Kestra outputs and metrics.
package inventory

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Facts are what a store knows of one secret, without its value. Zero
// times are unknown.
type Facts struct {
	Secret         string    // reference usable with the other binaries, e.g. vault://secret/apps/db
	Created        time.Time // when the secret was created
	CurrentVersion string    // id of the version applications read
	CurrentSince   time.Time // when that version became CURRENT (promoted, or written)
	LastRotated    time.Time // when a rotation of this pack made CURRENT; zero if none did
	Rotation       string    // that rotation's id
	Strategy       string    // that rotation's strategy
	Versions       int       // versions the store keeps (not destroyed)
	Pending        bool      // a PENDING exists beside the secret
	PendingRot     string    // the rotation id that staged it, if readable
	PendingSince   time.Time // when it was staged, if known
	Tags           map[string]string
}

// Scope is a parsed --prefix: <scheme>://<prefix>[?options]. Host is the
// first segment (Vault mount, Azure vault, GCP project), Path the rest as
// written (a trailing slash kept), Prefix everything between :// and ?.
type Scope struct {
	Scheme string
	Prefix string
	Host   string
	Path   string
	Query  url.Values
	Tags   TagFilter // listers may filter on the server too; the inventory checks again
}

// Lister lists the secrets of a scope. It calls fn once per secret, in any
// order, and stops at the first error fn returns.
type Lister interface {
	List(ctx context.Context, s Scope, fn func(Facts) error) error
}

// Opener connects to a store from the environment, like step.StoreOpener;
// it must not contact the store.
type Opener func(ctx context.Context) (Lister, error)

// ParseScope parses --prefix for a store. It never contacts the store.
func ParseScope(s, scheme string) (Scope, error) {
	sch, rest, ok := strings.Cut(s, "://")
	if !ok || sch == "" {
		return Scope{}, fmt.Errorf("%w: --prefix %q is not a reference prefix: want %s://<prefix>", core.ErrUsage, s, scheme)
	}
	if sch != scheme {
		return Scope{}, fmt.Errorf("%w: %s-inventory lists %s:// references, not %s://", core.ErrUsage, scheme, scheme, sch)
	}
	rest, rawQuery, _ := strings.Cut(rest, "?")
	if strings.ContainsAny(rest, "#\x00\n\r*") {
		return Scope{}, fmt.Errorf("%w: --prefix %q: bad character", core.ErrUsage, s)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return Scope{}, fmt.Errorf("%w: --prefix %q: bad options: %v", core.ErrUsage, s, err)
	}
	host, path, _ := strings.Cut(rest, "/")
	for _, seg := range strings.Split(path, "/") {
		if seg == "." || seg == ".." {
			return Scope{}, fmt.Errorf("%w: --prefix %q: . and .. are not allowed", core.ErrUsage, s)
		}
	}
	return Scope{Scheme: sch, Prefix: rest, Host: host, Path: path, Query: q}, nil
}

// ParseMaxAge accepts whole days ("90d") and Go durations ("36h", "90s").
func ParseMaxAge(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%w: --max-age %q: want a positive age such as 90d, 36h or 90s", core.ErrUsage, s)
	}
	return d, nil
}

// TagFilter is --tag: every key must be present, with the value when one is given.
type TagFilter map[string]*string

// ParseTagFilter parses "team=orders,env=prod,pci".
func ParseTagFilter(s string) (TagFilter, error) {
	f := TagFilter{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, hasValue := strings.Cut(part, "=")
		if k == "" {
			return nil, fmt.Errorf("%w: --tag %q: want KEY=VALUE or KEY, comma-separated", core.ErrUsage, s)
		}
		f[k] = nil
		if hasValue {
			f[k] = &v
		}
	}
	return f, nil
}

// Match reports whether tags satisfy the filter.
func (f TagFilter) Match(tags map[string]string) bool {
	for k, want := range f {
		got, ok := tags[k]
		if !ok || (want != nil && got != *want) {
			return false
		}
	}
	return true
}

// Keys returns the filter's keys, sorted (for server-side filters).
func (f TagFilter) Keys() []string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
