package core

import "net"

// IsLoopback reports whether host (a name or an IP literal, without port)
// is this machine: localhost, 127.0.0.0/8 or ::1. Clients use it to pick
// defaults that only make sense on loopback (a sidecar proxy, a test
// double); it never resolves names.
func IsLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
