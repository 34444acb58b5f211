package faults

import (
	"context"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

const (
	// stepTimeout is the --timeout of every faulted step: short, so the
	// suite stays quick.
	stepTimeout = 2 * time.Second
	// faultLatency is longer than stepTimeout: the step must give up.
	faultLatency = stepTimeout + 3*time.Second
	// hangBound only detects a hang (a step that ignores its --timeout);
	// it is not a speed target.
	hangBound = stepTimeout + 10*time.Second
)

// combo is one store and one target, each behind its own proxy.
type combo struct {
	name    string
	h       conformance.TargetHarness
	s       core.Strategy
	proxies map[string]*proxy // "store", "target"
	sides   []string          // the sides whose faults this combo injects
}

func newCombo(t *testing.T, srv *toxiproxy.ApiServer, name string, s storeKit, k targetKit, sides ...string) combo {
	sp := newProxy(t, srv, name+"-store", s.upstream)
	tp := newProxy(t, srv, name+"-target", k.upstream)
	h := harnessOf(t, s, k, tp.Port(), append(s.via(sp.Addr()), k.via(tp.Addr())...)...)
	return combo{name: name, h: h, s: k.strategy, proxies: map[string]*proxy{"store": sp, "target": tp}, sides: sides}
}

// harnessOf is the target harness of k with its secrets in s: credentials
// name port, the binaries get env and the kit's own environment.
func harnessOf(t testing.TB, s storeKit, k targetKit, port string, env ...string) conformance.TargetHarness {
	h := conformance.TargetHarness{
		Name: k.name, Store: s.h, Strategies: []core.Strategy{k.strategy}, Mints: k.mints, StepArgs: k.stepArgs,
		Env: append(env, k.env...), Login: k.login,
		NewAccount: func(t testing.TB, r *conformance.Runner, _ core.Strategy) (core.Ref, core.Value) {
			v := k.account(t, r, port)
			return s.put(t, "f-"+conformance.RandomID(""), v), v
		},
	}
	h.Store.Secrets = append([]string{}, h.Store.Secrets...)
	if k.admin != nil {
		v := k.admin(t, port)
		h.Store.Secrets = append(h.Store.Secrets, v.Sensitive()...)
		h.AdminRef = s.put(t, "f-admin-"+conformance.RandomID(""), v).String()
	}
	return h
}

// TestNetworkFaults puts a toxiproxy proxy between the binaries and each
// store and target server and, during each step in turn, injects latency
// beyond the step's --timeout, connection resets and a server that is down.
// Every faulted step must exit 3 (never hang); re-running it with the same
// rotation id once the fault is gone must complete the rotation, after which
// CURRENT logs in.
func TestNetworkFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("needs every server")
	}
	srv := newToxiproxy()
	vault, pg := vaultKit(t), postgresKit()
	combos := []combo{
		newCombo(t, srv, "vault+postgres", vault, pg, "store", "target"),
		newCombo(t, srv, "awssm+postgres", awssmKit(t), pg, "store"),
		newCombo(t, srv, "azkv+postgres", azkvKit(t), pg, "store"),
		newCombo(t, srv, "gcpsm+postgres", gcpsmKit(t), pg, "store"),
		newCombo(t, srv, "vault+mysql", vault, mysqlKit(), "target"),
		newCombo(t, srv, "vault+redis", vault, redisKit(), "target"),
		newCombo(t, srv, "awssm+awsiam", awssmKit(t), awsiamKit(), "target"),
	}
	var ta tally
	t.Run("combos", func(t *testing.T) {
		for _, c := range combos {
			for _, side := range c.sides {
				t.Run(c.name+"/"+side, func(t *testing.T) {
					t.Parallel()
					c.faultRotation(t, side, &ta)
					c.faultRollback(t, side, &ta)
				})
			}
		}
	})
	t.Logf("faults injected per step (--timeout %s, latency %s; max = longest faulted run):\n%s", stepTimeout, faultLatency, ta.table())
	for _, step := range stepOrder {
		if ta.rows[step] == nil {
			t.Errorf("no fault was injected during %s", step)
		}
	}
}

// touches says whether a step talks to the server on side.
func touches(step, side string) bool {
	switch step {
	case "stage", "promote", "rollback":
		return side == "store"
	}
	return true // target steps read the secret through the store helper
}

// argv is the step's command line; "undo" is deploy --stage current.
func (c combo) argv(step string, ref core.Ref, id string, more ...string) (string, []string) {
	if step == "undo" {
		return c.h.Argv("deploy", ref, id, c.s, append([]string{"--stage", "current"}, more...)...)
	}
	return c.h.Argv(step, ref, id, c.s, more...)
}

// step runs one step under each fault on side (when it talks to that side),
// then once more without a fault, which must succeed.
func (c combo) step(t *testing.T, r *conformance.Runner, ta *tally, side, step string, ref core.Ref, id string) {
	t.Helper()
	p := c.proxies[side]
	for _, f := range faultKinds {
		if !touches(step, side) {
			break
		}
		name, a := c.argv(step, ref, id, "--timeout", stepTimeout.String())
		p.inject(t, f, faultLatency)
		start := time.Now()
		run := r.Exec(t, "", name, a...)
		took := time.Since(start)
		p.clear(t)
		ta.add(step, side, f, run.Code, took, c.name)
		if run.Code != core.ExitUnavailable {
			t.Errorf("%s with %s %s: got exit %d, want %d\n%s", step, side, f, run.Code, core.ExitUnavailable, run)
		}
		if took > hangBound {
			t.Errorf("%s with %s %s: took %s with --timeout %s: hangs", step, side, f, took, stepTimeout)
		}
	}
	name, a := c.argv(step, ref, id)
	r.Must(t, 0, name, a...)
}

// faultRotation runs a whole rotation with every step faulted on side.
func (c combo) faultRotation(t *testing.T, side string, ta *tally) {
	r := c.h.Store.NewRunner(t, c.h.Env...)
	ref, _ := c.h.NewAccount(t, r, c.s)
	id := conformance.RandomID("rot-")
	steps := []string{"stage", "deploy", "validate", "promote", "revoke"}
	if c.h.Mints {
		steps = steps[1:]
	}
	for _, step := range steps {
		c.step(t, r, ta, side, step, ref, id)
	}
	s := c.h.Store.Inspect(t, r, ref)
	if s.Current.Rotation != id || !s.Pending.Value.IsZero() {
		t.Errorf("after the faulted rotation: CURRENT made by %q (want %q), PENDING left %v", s.Current.Rotation, id, !s.Pending.Value.IsZero())
	}
	c.mustLogIn(t, s.Current.Value)
}

// faultRollback stages and deploys, then runs the undo (rollback, deploy
// --stage current) with each step faulted on side.
func (c combo) faultRollback(t *testing.T, side string, ta *tally) {
	r := c.h.Store.NewRunner(t, c.h.Env...)
	ref, initial := c.h.NewAccount(t, r, c.s)
	id := conformance.RandomID("rot-")
	for _, step := range []string{"stage", "deploy"} {
		if step == "stage" && c.h.Mints {
			continue
		}
		name, a := c.argv(step, ref, id)
		r.Must(t, 0, name, a...)
	}
	c.step(t, r, ta, side, "rollback", ref, id)
	c.step(t, r, ta, side, "undo", ref, id)
	s := c.h.Store.Inspect(t, r, ref)
	if !s.Pending.Value.IsZero() || !s.Current.Value.Equal(initial) {
		t.Errorf("after the faulted rollback: PENDING left %v, CURRENT changed %v", !s.Pending.Value.IsZero(), !s.Current.Value.Equal(initial))
	}
	c.mustLogIn(t, s.Current.Value)
}

func (c combo) mustLogIn(t *testing.T, v core.Value) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.h.Login(ctx, v); err != nil {
		t.Errorf("CURRENT does not log in: %v", err)
	}
}
