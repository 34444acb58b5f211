package redis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Check logs in as the ACL user (AUTH username password) and runs PING.
// It changes nothing.
func (t Target) Check(ctx context.Context, creds core.Value) error {
	c, err := t.connect(ctx, creds)
	if err != nil {
		return err
	}
	return c.Close()
}

// Apply makes Want's password work. dual adds it next to the passwords the
// user has; single replaces them all (resetpass). Re-running it changes
// nothing once the password is there.
func (t Target) Apply(ctx context.Context, req core.ApplyRequest) (core.Plan, error) {
	if req.Strategy == core.Alternate {
		return core.Plan{}, fmt.Errorf("%w: redis: strategy alternate is not supported; use dual (both passwords work during the rollout) or single", core.ErrUsage)
	}
	user, _ := req.Want.String("username")
	pw, _ := req.Want.String("password")
	h := hash(pw)
	var rule []any
	var text string
	if req.Strategy == core.Dual {
		rule, text = []any{"#" + h}, "add the new password next to the current one"
	} else {
		rule, text = []any{"resetpass", "#" + h}, "replace every password with the new one (resetpass)"
	}
	return t.change(ctx, req, req.Want, user, func(have []string) ([]any, string) {
		if req.Strategy == core.Dual && slices.Contains(have, h) || slices.Equal(have, []string{h}) {
			return nil, ""
		}
		return rule, text
	})
}

// Revoke makes PREVIOUS stop working: dual removes its password (ACL
// SETUSER <user> !<hash>); single makes CURRENT's the only one, should the
// old one still be there. Re-running it changes nothing.
func (t Target) Revoke(ctx context.Context, req core.ApplyRequest) (core.Plan, error) {
	user, _ := req.Current.String("username")
	if prevUser, _ := req.Previous.String("username"); prevUser != user {
		return core.Plan{Actions: []string{fmt.Sprintf("kept user %q for the next turn", prevUser)}}, nil
	}
	prev, _ := req.Previous.String("password")
	cur, _ := req.Current.String("password")
	hp, hc := hash(prev), hash(cur)
	return t.change(ctx, req, req.Current, user, func(have []string) ([]any, string) {
		switch {
		case hp == hc || !slices.Contains(have, hp):
			return nil, ""
		case req.Strategy == core.Single:
			return []any{"resetpass", "#" + hc}, "make CURRENT's password the only one (resetpass)"
		}
		return []any{"!" + hp}, "remove the previous password"
	})
}

// Prune removes every password of the user but CURRENT's and PREVIOUS's:
// after an undo, the discarded PENDING stops working.
func (t Target) Prune(ctx context.Context, req core.ApplyRequest) (core.Plan, error) {
	user, _ := req.Want.String("username")
	keep := []string{hash(text(req.Want, "password"))}
	if prevUser, _ := req.Previous.String("username"); prevUser == user && !req.Previous.IsZero() {
		keep = append(keep, hash(text(req.Previous, "password")))
	}
	return t.change(ctx, req, req.Want, user, func(have []string) ([]any, string) {
		var rule []any
		for _, h := range have {
			if !slices.Contains(keep, h) {
				rule = append(rule, "!"+h)
			}
		}
		if len(rule) == 0 {
			return nil, ""
		}
		return rule, fmt.Sprintf("remove %d password(s) that are neither CURRENT nor PREVIOUS", len(rule))
	})
}

// change reads the user's password hashes, asks plan for the ACL SETUSER
// rules to apply (none: nothing to do), applies them and saves the ACL file.
func (t Target) change(ctx context.Context, req core.ApplyRequest, creds core.Value, user string, plan func(have []string) ([]any, string)) (core.Plan, error) {
	c, as, err := t.adminConn(ctx, req, creds)
	if err != nil {
		return core.Plan{}, err
	}
	defer c.Close()
	have, err := passwords(ctx, c, user)
	if err != nil {
		return core.Plan{}, err
	}
	rule, what := plan(have)
	if len(rule) == 0 {
		return core.Plan{Actions: []string{fmt.Sprintf("user %q already in the wanted state; nothing to do", user)}}, nil
	}
	actions := []string{"connected as " + as, fmt.Sprintf("ACL SETUSER %q %s: %s", user, core.Redacted, what)}
	if req.DryRun {
		return core.Plan{Actions: actions}, nil
	}
	if err := c.Do(ctx, append([]any{"ACL", "SETUSER", user}, rule...)...).Err(); err != nil {
		return core.Plan{}, classify(err)
	}
	return core.Plan{Actions: append(actions, save(ctx, c)), Changed: true}, nil
}

// save runs ACL SAVE, so the change outlives a restart, and says what happened.
func save(ctx context.Context, c client) string {
	err := c.Do(ctx, "ACL", "SAVE").Err()
	switch {
	case err == nil:
		return "ACL SAVE: written to the server's ACL file"
	case strings.Contains(err.Error(), "not configured to use an ACL file"):
		return "ACL SAVE: the server has no ACL file; the change is in memory only until CONFIG REWRITE (or your configuration management) persists it"
	}
	return "ACL SAVE failed (the change is in memory only): " + classify(err).Error()
}

// passwords returns the SHA-256 hashes of the user's passwords (ACL GETUSER).
func passwords(ctx context.Context, c client, user string) ([]string, error) {
	v, err := c.Do(ctx, "ACL", "GETUSER", user).Result()
	if err != nil {
		return nil, classify(err)
	}
	fields, ok := v.([]any)
	if v == nil || (ok && len(fields) == 0) {
		return nil, fmt.Errorf("%w: ACL user %q does not exist; create it with its permissions first", core.ErrNotFound, user)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		if k, _ := fields[i].(string); k == "passwords" {
			list, _ := fields[i+1].([]any)
			out := make([]string, 0, len(list))
			for _, p := range list {
				s, _ := p.(string)
				out = append(out, s)
			}
			return out, nil
		}
	}
	return nil, errors.New("redis: ACL GETUSER reply has no passwords field")
}

// hash is the form Redis stores and accepts in ACL SETUSER (#<hash>).
func hash(password string) string {
	sum := sha256.Sum256([]byte(password))
	return hex.EncodeToString(sum[:])
}

func text(v core.Value, key string) string {
	s, _ := v.String(key)
	return s
}
