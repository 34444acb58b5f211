package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// roundTrips is how many Vault API requests one step of a rotation made,
// counted by a reverse proxy in front of OpenBao (OpenBao refuses to enable
// audit devices through its API): duplicated round trips show up here.
type roundTrips struct {
	step     string
	requests int
	paths    string // "GET secret/data/x ×2, …"
}

// countingProxy forwards to OpenBao and records "METHOD path" of each
// request (paths name secrets, never hold their values).
type countingProxy struct {
	mu   sync.Mutex
	reqs []string
}

func (c *countingProxy) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.reqs
	c.reqs = nil
	return r
}

// countRoundTrips runs one PostgreSQL rotation (the image's build) with
// VAULT_ADDR pointing at a counting proxy, and counts each step's requests.
func (b *bench) countRoundTrips(ctx context.Context) ([]roundTrips, error) {
	s := b.srv
	target, err := url.Parse(s.bao.Addr)
	if err != nil {
		return nil, err
	}
	counter := &countingProxy{}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		counter.mu.Lock()
		q := ""
		if r.URL.RawQuery != "" {
			q = "?" + r.URL.RawQuery
		}
		counter.reqs = append(counter.reqs, r.Method+" "+strings.TrimPrefix(r.URL.Path, "/v1/")+q)
		counter.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	defer srv.Close()
	admin, err := s.pgAdminRef(ctx)
	if err != nil {
		return nil, err
	}
	ref, err := s.newPGRole(ctx, "bench_roundtrips")
	if err != nil {
		return nil, err
	}
	env := append(baseEnv(b.home), "VAULT_ADDR="+srv.URL, "VAULT_TOKEN="+s.bao.Token)
	var out []roundTrips
	for _, p := range pgRotation(b.variants[0], env, ref, admin, fmt.Sprintf("bench-rt-%d", time.Now().UnixNano())) {
		if _, err := p.run(ctx); err != nil {
			return nil, err
		}
		out = append(out, summarize(p.path, counter.take()))
	}
	return out, nil
}

func summarize(path string, reqs []string) roundTrips {
	count := map[string]int{}
	var order []string
	for _, r := range reqs {
		if count[r] == 0 {
			order = append(order, r)
		}
		count[r]++
	}
	var parts []string
	for _, r := range order {
		part := "`" + r + "`"
		if count[r] > 1 {
			part += fmt.Sprintf(" ×%d", count[r])
		}
		parts = append(parts, part)
	}
	return roundTrips{step: baseName(path), requests: len(reqs), paths: strings.Join(parts, ", ")}
}
