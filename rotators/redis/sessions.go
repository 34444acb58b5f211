package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// ageSlack is how far a start time computed from CLIENT LIST's age can be off.
const ageSlack = 2 * time.Second

// adminConn logs in with --admin-secret, else REDIS_URL's credentials, else
// CURRENT, then PREVIOUS (which then need the ACL permissions themselves),
// through core.LogIn: an admin credential goes only to a server its own
// secret (or REDIS_URL) names, with its own tls setting.
func (t Target) adminConn(ctx context.Context, req core.ApplyRequest, creds core.Value) (client, string, error) {
	host, port, _ := net.SplitHostPort(t.addr(creds))
	l := core.AdminLogin{Admin: req.Admin, Current: req.Current, Previous: req.Previous,
		Host: host, Port: port, DefaultPort: defaultPort, Carry: map[string]string{"db": creds.Text("db")}}
	if l.Admin.IsZero() && t.url != nil && t.url.Username != "" {
		l.Admin, l.AdminName = t.urlAdmin(), "REDIS_URL credential"
	}
	c, in, err := core.LogIn(ctx, l, t.connect)
	if err != nil {
		return nil, "", err
	}
	return c, in.Name + " (" + t.Describe(in.Creds) + ")", nil
}

// urlAdmin is REDIS_URL's credential, addressed to REDIS_URL's server.
func (t Target) urlAdmin() core.Value {
	host, port, _ := net.SplitHostPort(t.url.Addr)
	v := core.Value{}.With("username", t.url.Username).With("password", t.url.Password).With("host", host).With("port", port)
	if t.url.TLSConfig != nil {
		v = v.With("tls", "true")
	}
	return v
}

// Sessions lists the client connections of the credential's user (CLIENT
// LIST; the admin needs +client|list), opened before req.Before when it is
// set. Redis gives a connection's age in whole seconds of its cached clock,
// up to two seconds off, so a connection is kept when it may have opened
// before req.Before.
func (t Target) Sessions(ctx context.Context, req core.UsageRequest) ([]core.Session, error) {
	c, _, err := t.adminConn(ctx, core.ApplyRequest{Admin: req.Admin, Current: req.Login}, req.Creds)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	own, err := c.Do(ctx, "CLIENT", "ID").Int64()
	if err != nil {
		return nil, classify(err)
	}
	now, err := serverTime(ctx, c)
	if err != nil {
		return nil, err
	}
	list, err := c.Do(ctx, "CLIENT", "LIST", "TYPE", "normal").Text()
	if err != nil {
		return nil, classify(err)
	}
	user, _ := req.Creds.String("username")
	var out []core.Session
	for _, cl := range parseClientList(list) {
		if cl["user"] != user || cl["id"] == strconv.FormatInt(own, 10) {
			continue
		}
		age, _ := strconv.Atoi(cl["age"])
		since := now.Add(-time.Duration(age) * time.Second)
		if !req.Before.IsZero() && !since.Add(-ageSlack).Before(req.Before) {
			continue
		}
		out = append(out, core.Session{ID: cl["id"], User: user, Client: cl["addr"], Since: since})
	}
	return out, nil
}

// parseClientList splits CLIENT LIST into one key=value map per client.
func parseClientList(list string) []map[string]string {
	var out []map[string]string
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		m := map[string]string{}
		for _, f := range strings.Fields(line) {
			if k, v, ok := strings.Cut(f, "="); ok {
				m[k] = v
			}
		}
		out = append(out, m)
	}
	return out
}

// serverTime is the server's clock (TIME), which ages are relative to.
func serverTime(ctx context.Context, c client) (time.Time, error) {
	v, err := c.Do(ctx, "TIME").StringSlice()
	if err != nil {
		return time.Time{}, fmt.Errorf("redis TIME: %w", classify(err))
	}
	if len(v) != 2 {
		return time.Time{}, errors.New("redis TIME: not a time")
	}
	sec, err1 := strconv.ParseInt(v[0], 10, 64)
	usec, err2 := strconv.ParseInt(v[1], 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, errors.New("redis TIME: not a time")
	}
	return time.Unix(sec, usec*1000), nil
}
