package core

import (
	"fmt"
	"net"
	"slices"
	"strings"
)

// AppEndpoint checks where an account's own credential may be sent, before
// any connection. A secret that names its host chose its server itself.
// A secret without host gets its server from the target's environment
// (from names it: "REDIS_URL", "PGHOST"), which whoever starts a flow may
// set through an input (the Redis fan-out's targets); that server must then
// be one the secret's own hosts list names, so the application's password
// goes only where the team that owns it said (docs/security.md). envHost
// is the host the environment gave, empty when the target falls back to
// its built-in default (a local server), which no one chose; port is the
// port the target would use.
func AppEndpoint(creds Value, envHost, port, defaultPort, from string) error {
	if creds.Text("host") != "" || envHost == "" {
		return nil
	}
	listed := hostsOf(creds, defaultPort)
	if slices.Contains(listed, endpointKey(envHost, port)) {
		return nil
	}
	at := net.JoinHostPort(envHost, port)
	named := "names none"
	if len(listed) > 0 {
		named = "names " + strings.Join(listed, ", ")
	}
	return fmt.Errorf("%w: the secret has no host and %s gives %s; the secret's %q list %s: add \"host\" to the secret, or %s to its %q list, if its credential may be sent there",
		ErrUsage, from, at, AdminHostsField, named, at, AdminHostsField)
}
