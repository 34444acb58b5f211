package core

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
)

// Login is a credential a target logs in with to make a change, and what to
// call it in log lines.
type Login struct {
	Name  string // "admin credential", "current credential", ...
	Creds Value
	Admin bool // an administrator's credential, not the account's own
}

// AdminLogin is what a target needs to log in for a change: the admin
// credential when there is one, else the account's own CURRENT, then
// PREVIOUS (a half-done earlier attempt may have left either working).
//
// The admin credential is shared by every secret on a server, so it is only
// ever sent to a server the admin secret itself names (its host and port,
// or an entry of its hosts list), with the admin secret's own TLS settings:
// never to a host chosen by whoever can write the rotated secret, start a
// flow or set the environment (docs/security.md, "admin credentials").
type AdminLogin struct {
	Admin     Value  // --admin-secret (or a target's own admin setting); zero when none
	AdminName string // what to call it; "admin credential" when empty

	Current, Previous Value // the account's own credentials, tried without an admin

	// Host and Port are the server of the account being changed, as the
	// target resolves it for the account's own logins (the rotated secret,
	// else the target's environment); Host is empty when nothing names one,
	// and the admin's own host is used.
	Host, Port  string
	DefaultPort string // the target's default port

	// Carry holds fields that do not choose a server (dbname, db), copied
	// onto the admin credential when it leaves them out.
	Carry map[string]string
}

// AdminHostsField lists, in an admin secret, further host:port the admin
// credential may be sent to: a JSON array of strings, or one string with
// commas. A bare host means the target's default port.
const AdminHostsField = "hosts"

// LogIn logs in with the first credential of l that the server accepts.
// A credential the server refuses (ErrRejected) makes it try the next;
// any other error stops it. With an admin credential, only that one is
// tried, and only at a server it allows (else ErrUsage, before any network).
func LogIn[C any](ctx context.Context, l AdminLogin, connect func(context.Context, Value) (C, error)) (C, Login, error) {
	var zero C
	logins, err := l.logins()
	if err != nil {
		return zero, Login{}, err
	}
	var last error
	for _, in := range logins {
		c, err := connect(ctx, in.Creds)
		if err == nil {
			return c, in, nil
		}
		if !errors.Is(err, ErrRejected) {
			return zero, Login{}, err
		}
		last = err
	}
	switch {
	case len(logins) == 1 && logins[0].Admin:
		return zero, Login{}, fmt.Errorf("%w: the %s was refused by %s: %v", ErrDenied, logins[0].Name, serverOf(logins[0].Creds), last)
	case last == nil:
		return zero, Login{}, fmt.Errorf("%w: no credential to log in with to make the change (give --admin-secret)", ErrDenied)
	}
	return zero, Login{}, fmt.Errorf("%w: neither CURRENT nor PREVIOUS could log in to make the change (give --admin-secret): %v", ErrDenied, last)
}

func (l AdminLogin) logins() ([]Login, error) {
	if l.Admin.IsZero() {
		var out []Login
		for _, in := range []Login{{Name: "current credential", Creds: l.Current}, {Name: "previous credential", Creds: l.Previous}} {
			if !in.Creds.IsZero() {
				out = append(out, in)
			}
		}
		return out, nil
	}
	admin, err := l.addressed()
	if err != nil {
		return nil, err
	}
	return []Login{{Name: cmp.Or(l.AdminName, "admin credential"), Creds: admin, Admin: true}}, nil
}

// addressed returns the admin credential with the host and port of the
// account's server, after checking that the admin secret allows that server.
func (l AdminLogin) addressed() (Value, error) {
	name := cmp.Or(l.AdminName, "admin credential")
	home := l.Admin.Text("host")
	if home == "" {
		return Value{}, fmt.Errorf("%w: the %s names no host: add \"host\" (and \"port\") of the server it administers to the admin secret, and for a fleet %q, a list of further host:port; an admin credential is never sent to a host taken from the rotated secret", ErrUsage, name, AdminHostsField)
	}
	homePort := cmp.Or(l.Admin.Text("port"), l.DefaultPort)
	host, port := home, homePort
	if l.Host != "" {
		host, port = l.Host, cmp.Or(l.Port, l.DefaultPort)
	}
	allowed := l.adminHosts(endpointKey(home, homePort))
	if !slices.Contains(allowed, endpointKey(host, port)) {
		return Value{}, fmt.Errorf("%w: the account is on %s, which the %s does not name (it allows %s): add %s to its %q list if it may be sent there", ErrUsage,
			net.JoinHostPort(host, port), name, strings.Join(allowed, ", "), net.JoinHostPort(host, port), AdminHostsField)
	}
	out := l.Admin.With("host", host).With("port", port)
	for _, k := range sortedKeys(l.Carry) {
		if out.Text(k) == "" && l.Carry[k] != "" {
			out = out.With(k, l.Carry[k])
		}
	}
	return out, nil
}

// adminHosts is home and the admin secret's hosts list, as host:port keys.
func (l AdminLogin) adminHosts(home string) []string {
	out := []string{home}
	for _, k := range hostsOf(l.Admin, l.DefaultPort) {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// hostsOf is v's hosts list (AdminHostsField) as host:port keys: a JSON
// array of strings, or one string with commas; anything else names nothing.
func hostsOf(v Value, defaultPort string) []string {
	var list []string
	if s := v.Text(AdminHostsField); s != "" {
		list = strings.Split(s, ",")
	} else {
		v.decode(AdminHostsField, &list)
	}
	var out []string
	for _, e := range list {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		h, p, err := net.SplitHostPort(e)
		if err != nil {
			h, p = strings.Trim(e, "[]"), defaultPort
		}
		if k := endpointKey(h, p); !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// endpointKey compares endpoints: host names are case-insensitive.
func endpointKey(host, port string) string {
	return net.JoinHostPort(strings.ToLower(strings.TrimSuffix(host, ".")), port)
}

func serverOf(v Value) string { return net.JoinHostPort(v.Text("host"), v.Text("port")) }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
