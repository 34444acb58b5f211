package step

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Options are the flags shared by all binaries. Each flag can also be set
// from an environment variable ROTATE_<NAME> (dashes become underscores), so
// that flows can set them in env:; a flag on the command line wins.
type Options struct {
	Secret       string
	Rotation     string
	Generate     string
	Stdin        bool
	Strategy     string
	DryRun       bool
	Stage        string
	ExpectReject bool
	AdminSecret  string
	Timeout      time.Duration
	// Decommission and target-specific flags (revoke, deploy).
	Grace           time.Duration // 0 when not given: revoke waits only a moment for sessions being closed
	Force           bool
	ExpectUnused    bool
	ReconcileGrants bool
	AccountHost     string
	// Inventory flags (<store>-inventory); MaxAge is parsed by the inventory.
	Prefix        string
	Tag           string
	MaxAge        string
	OutputDir     string
	FailOnOverdue bool
	Plan          string // overdue or all: also write the fleet flows' rotation plan
	StuckAfter    string // a PENDING older than this is stuck, younger is a rotation in progress
}

// flagSpec describes one flag of the shared table.
type flagSpec struct {
	name  string
	meta  string // placeholder in the usage line
	usage string
	def   string
	bool  bool
}

var flagTable = []flagSpec{
	{name: "secret", meta: "URI", usage: "secret reference, for example vault://secret/apps/db (required)"},
	{name: "rotation", meta: "ID", usage: "rotation id: the idempotency token and lock; flows pass {{ execution.id }} (required)"},
	{name: "generate", meta: "POLICY", usage: "password policy, for example length=32,symbols=0,exclude=/@\"'\\ (default " + core.DefaultPolicy.String() + ")"},
	{name: "stdin", bool: true, usage: "read the new value (a JSON object merged over CURRENT) from standard input instead of generating one"},
	{name: "strategy", meta: "S", usage: "single (one user, password changed in place), alternate (app and app_clone take turns) or dual", def: "single"},
	{name: "dry-run", bool: true, usage: "print the plan and change nothing"},
	{name: "stage", meta: "STAGE", usage: "which stage of the secret to use: current, pending or previous"},
	{name: "expect-reject", bool: true, usage: "succeed only if the target refuses the credential (proves an old password is dead)"},
	{name: "admin-secret", meta: "URI", usage: "secret reference of an admin credential for the target (same JSON shape); read through the store helper"},
	{name: "timeout", meta: "DURATION", usage: "give up after this long (exit 3)", def: "2m"},
	{name: "grace", meta: "DURATION", usage: "how long revoke waits for the old credential to fall out of use before refusing (exit 5)"},
	{name: "force", bool: true, usage: "revoke even though the old credential is still in use"},
	{name: "expect-unused", bool: true, usage: "refuse (exit 5) when the old credential was used recently"},
	{name: "reconcile-grants", bool: true, usage: "make the other user's privileges match before switching users (alternate), and say what was granted"},
	{name: "account-host", meta: "HOST", usage: "host part of a MySQL account 'user'@'host' when the secret has no account_host field"},
	{name: "prefix", meta: "URI", usage: "which secrets to list: a reference prefix such as vault://secret/apps/ or awssm://apps/ (required)"},
	{name: "tag", meta: "K=V,...", usage: "list only secrets carrying these tags or labels (a key alone: any value)"},
	{name: "max-age", meta: "AGE", usage: "rotation period: a CURRENT older than this is overdue (90d, 36h, ...)", def: "90d"},
	{name: "output-dir", meta: "DIR", usage: "directory for the report files <store>-inventory.jsonl and .csv", def: "."},
	{name: "fail-on-overdue", bool: true, usage: "exit 4 when a secret is overdue or has a PENDING left over (default: report and exit 0)"},
	{name: "plan", meta: "MODE", usage: "also plan unattended rotations of the opted-in secrets (tag rotation-auto=true): overdue (overdue or stuck ones) or all; appends to rotation-plan.jsonl in --output-dir"},
	{name: "stuck-after", meta: "AGE", usage: "with --plan: a PENDING older than this is stuck and is rolled back before the rotation; a younger one is a rotation in progress, skipped", def: "3h"},
}

// EnvName is the environment variable that sets a flag.
func EnvName(flagName string) string {
	return "ROTATE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func lookupSpec(name string) flagSpec {
	for _, f := range flagTable {
		if f.name == name {
			return f
		}
	}
	panic("unknown flag " + name) // a programming error in a Command table
}

// parse reads args and then the environment for the flags a command accepts.
func parse(c Command, args []string, getenv func(string) string) (Options, error) {
	fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	fs.SetOutput(discard{})
	vals := map[string]*string{}
	bools := map[string]*bool{}
	for _, name := range c.Flags {
		spec := lookupSpec(name)
		if spec.bool {
			bools[name] = fs.Bool(name, false, spec.usage)
		} else {
			vals[name] = fs.String(name, c.defaultOf(spec), spec.usage)
		}
	}
	if err := fs.Parse(args); err != nil {
		return Options{}, fmt.Errorf("%w: %v", core.ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return Options{}, fmt.Errorf("%w: unexpected argument %q", core.ErrUsage, fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, name := range c.Flags {
		env := getenv(EnvName(name))
		if set[name] || env == "" {
			continue
		}
		if p, ok := vals[name]; ok {
			*p = env
			continue
		}
		b, err := strconv.ParseBool(env)
		if err != nil {
			return Options{}, fmt.Errorf("%w: %s=%q: want true or false", core.ErrUsage, EnvName(name), env)
		}
		*bools[name] = b
	}
	return c.options(vals, bools)
}

func (c Command) defaultOf(spec flagSpec) string {
	if d, ok := c.Defaults[spec.name]; ok {
		return d
	}
	return spec.def
}

func (c Command) options(vals map[string]*string, bools map[string]*bool) (Options, error) {
	str := func(n string) string {
		if p := vals[n]; p != nil {
			return *p
		}
		return ""
	}
	bl := func(n string) bool { return bools[n] != nil && *bools[n] }
	o := Options{Secret: str("secret"), Rotation: str("rotation"), Generate: str("generate"), Stdin: bl("stdin"),
		Strategy: str("strategy"), DryRun: bl("dry-run"), Stage: str("stage"), ExpectReject: bl("expect-reject"),
		AdminSecret: str("admin-secret"), Timeout: 2 * time.Minute, Force: bl("force"), ExpectUnused: bl("expect-unused"),
		ReconcileGrants: bl("reconcile-grants"), AccountHost: str("account-host"),
		Prefix: str("prefix"), Tag: str("tag"), MaxAge: str("max-age"), OutputDir: str("output-dir"), FailOnOverdue: bl("fail-on-overdue"),
		Plan: str("plan"), StuckAfter: str("stuck-after")}
	if t := str("timeout"); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 {
			return Options{}, fmt.Errorf("%w: --timeout %q: want a duration such as 90s or 5m", core.ErrUsage, t)
		}
		o.Timeout = d
	}
	if g := str("grace"); g != "" {
		d, err := time.ParseDuration(g)
		if err != nil || d < 0 {
			return Options{}, fmt.Errorf("%w: --grace %q: want a duration such as 0s, 90s or 24h", core.ErrUsage, g)
		}
		o.Grace = d
	}
	for _, req := range []struct{ name, val string }{{"secret", o.Secret}, {"rotation", o.Rotation}, {"prefix", o.Prefix}} {
		if c.accepts(req.name) && req.val == "" {
			return Options{}, fmt.Errorf("%w: --%s is required (or %s)", core.ErrUsage, req.name, EnvName(req.name))
		}
	}
	if c.accepts("rotation") {
		if err := core.CheckRotationID(o.Rotation); err != nil {
			return Options{}, err
		}
	}
	if o.Stdin && o.Generate != "" {
		return Options{}, fmt.Errorf("%w: --stdin and --generate exclude each other", core.ErrUsage)
	}
	return o, nil
}

func (c Command) accepts(name string) bool {
	for _, f := range c.Flags {
		if f == name {
			return true
		}
	}
	return false
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
