package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// ageSlack is how far a start time computed from CLIENT LIST's age can be off.
const ageSlack = 2 * time.Second

// candidate is a credential adminConn may log in with.
type candidate struct {
	name  string
	creds core.Value
}

// adminConn logs in with --admin-secret, else REDIS_URL's credentials, else
// CURRENT, then PREVIOUS (which then need the ACL permissions themselves).
// The admin's host and port default to those of creds.
func (t Target) adminConn(ctx context.Context, req core.ApplyRequest, creds core.Value) (client, string, error) {
	var cands []candidate
	switch {
	case !req.Admin.IsZero():
		cands = append(cands, candidate{"admin credential", withEndpoint(req.Admin, creds)})
	case t.url != nil && t.url.Username != "":
		v := withEndpoint(core.Value{}.With("username", t.url.Username).With("password", t.url.Password), creds)
		cands = append(cands, candidate{"REDIS_URL credential", v})
	default:
		cands = append(cands, candidate{"current credential", req.Current}, candidate{"previous credential", req.Previous})
	}
	var last error
	for _, c := range cands {
		if c.creds.IsZero() {
			continue
		}
		cl, err := t.connect(ctx, c.creds)
		if err == nil {
			return cl, c.name + " (" + t.Describe(c.creds) + ")", nil
		}
		if !errors.Is(err, core.ErrRejected) {
			return nil, "", err
		}
		last = err
	}
	if last == nil {
		last = errors.New("no credential to try")
	}
	return nil, "", fmt.Errorf("%w: no credential could log in to make the change (give --admin-secret): %v", core.ErrDenied, last)
}

func withEndpoint(admin, creds core.Value) core.Value {
	for _, f := range []string{"host", "port", "tls", "db"} {
		if admin.Text(f) == "" && creds.Text(f) != "" {
			admin = admin.With(f, creds.Text(f))
		}
	}
	return admin
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
