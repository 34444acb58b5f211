package faults

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
)

// fault is one network fault a proxy injects.
type fault string

const (
	latency fault = "latency" // every byte from the server delayed beyond the step's --timeout
	reset   fault = "reset"   // every connection reset (RST) as soon as the client sends
	down    fault = "down"    // the proxy stops listening: connection refused, as a server that is down
)

var faultKinds = []fault{latency, reset, down}

// proxy is a toxiproxy proxy, run in the test process, between the binaries
// and one server.
type proxy struct {
	p *toxiproxy.Proxy
}

// newToxiproxy returns the in-process toxiproxy server that owns proxies.
func newToxiproxy() *toxiproxy.ApiServer {
	return toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
}

// newProxy starts a proxy on a free loopback port in front of upstream
// (host:port); it stops when the test ends.
func newProxy(t testing.TB, srv *toxiproxy.ApiServer, name, upstream string) *proxy {
	t.Helper()
	p := toxiproxy.NewProxy(srv, name, "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatalf("start proxy %s: %v", name, err)
	}
	t.Cleanup(p.Stop)
	return &proxy{p: p}
}

// Addr is the proxy's host:port.
func (p *proxy) Addr() string { return p.p.Listen }

// Port is the proxy's port.
func (p *proxy) Port() string { return p.Addr()[strings.LastIndexByte(p.Addr(), ':')+1:] }

// inject starts fault f; latency delays by d.
func (p *proxy) inject(t testing.TB, f fault, d time.Duration) {
	t.Helper()
	var toxic string
	switch f {
	case down:
		p.p.Stop()
		return
	case latency:
		toxic = fmt.Sprintf(`{"name":"fault","type":"latency","stream":"downstream","attributes":{"latency":%d}}`, d.Milliseconds())
	case reset:
		toxic = `{"name":"fault","type":"reset_peer","stream":"upstream","attributes":{"timeout":0}}`
	}
	if _, err := p.p.Toxics.AddToxicJson(strings.NewReader(toxic)); err != nil {
		t.Fatalf("add toxic %s: %v", f, err)
	}
}

// clear removes every fault: toxics gone, the proxy listening again on the
// same port.
func (p *proxy) clear(t testing.TB) {
	t.Helper()
	p.p.Toxics.ResetToxics(context.Background())
	if !p.p.Enabled {
		if err := p.p.Start(); err != nil {
			t.Fatalf("restart proxy %s: %v", p.p.Name, err)
		}
	}
}
