package conformance

import (
	"net"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// endpointEnv is the environment that gives a target binary its server
// when the secret names no host: what a flow sets from its inputs (the
// Redis fan-out's targets).
func endpointEnv(wire, host, port string) []string {
	switch wire {
	case "postgres":
		return []string{"PGHOST=" + host, "PGPORT=" + port}
	case "mysql":
		return []string{"MYSQL_HOST=" + host, "MYSQL_TCP_PORT=" + port}
	}
	return []string{"REDIS_URL=redis://" + net.JoinHostPort(host, port)}
}

// trustAppEndpoint: a secret without host gets its server from the
// environment, which a flow may take from whoever starts it. The account's
// own credential goes there only when the secret's hosts list names that
// server; otherwise the step stops with a usage error before connecting.
func trustAppEndpoint(c *trustCase) {
	name, a := c.h.Argv("validate", c.ref, "", core.Single, "--stage", "current")
	c.r.Must(c.t, 0, name, a...) // the account works from its own secret
	cur := c.h.Store.Inspect(c.t, c.r, c.ref).Current.Value.Without("host", "port")
	realHost, realPort := c.h.Admin.Text("host"), c.h.Admin.Text("port")
	real := net.JoinHostPort(realHost, realPort)
	tests := []struct {
		name, hosts, host, port string
		want                    int
	}{
		{"no hosts list, server from the environment", "", c.fake.Host(), c.fake.Port(), core.ExitUsage},
		{"hosts list names another server", real, c.fake.Host(), c.fake.Port(), core.ExitUsage},
		{"hosts list names the server", real, realHost, realPort, 0},
	}
	for _, tc := range tests {
		c.t.Run(tc.name, func(t *testing.T) {
			v := cur
			if tc.hosts != "" {
				v = v.With(core.AdminHostsField, tc.hosts)
			}
			ref := c.h.Store.NewSecret(t, v)
			r := c.h.Store.NewRunner(t, append(append([]string{}, c.h.Env...), endpointEnv(c.h.Wire, tc.host, tc.port)...)...)
			name, a := c.h.Argv("validate", ref, "", core.Single, "--stage", "current")
			run := r.Must(t, tc.want, name, a...)
			if tc.want != 0 {
				wantInError(t, run, "has no host")
			}
		})
	}
	if n := c.fake.Conns(); n != 0 {
		c.t.Errorf("the server the environment named got %d connections, want none: the secret's hosts list does not name it", n)
	}
}
