package step

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Options are the flags of the step logic shared by the binaries. Each flag
// can also be set from an environment variable ROTATE_<NAME> (dashes become
// underscores), so that flows can set them in env:; a flag on the command
// line wins. Flags a command declares itself (an inventory's, a target's)
// are read through Env.Flags.
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
	// Decommission flags (revoke, and deploy of targets with the alternate strategy).
	Grace time.Duration // 0 when not given: revoke waits only a moment for sessions being closed
	Force bool
}

// Flag is one command-line flag.
type Flag struct {
	Name    string
	Meta    string // placeholder in the usage line; "" for a Bool flag
	Usage   string
	Default string
	Bool    bool
	// Required: a command that takes the flag refuses to run without it.
	Required bool
	// RequiredUnlessDefault: shown as required in the usage line of a
	// command that gives it no default (the step itself refuses it empty).
	RequiredUnlessDefault bool
	// Steps, for a flag a target declares (TargetSpec.Flags): the steps
	// that take it, "deploy", "validate" and "revoke".
	Steps []string
}

// Flags are the values of the flags a command declared itself
// (Command.Declared), by name.
type Flags struct {
	vals map[string]string
}

// String is the value of a declared flag, "" when not given.
func (f Flags) String(name string) string { return f.vals[name] }

// Bool is the value of a declared boolean flag.
func (f Flags) Bool(name string) bool { return f.vals[name] == "true" }

// sharedFlags are the flags of the step logic itself; a command names the
// ones it takes (Command.Flags), and may declare more of its own
// (Command.Declared).
func sharedFlags() []Flag {
	return []Flag{
		{Name: "secret", Meta: "URI", Required: true, Usage: "secret reference, for example vault://secret/apps/db (required)"},
		{Name: "rotation", Meta: "ID", Required: true, Usage: "rotation id: the idempotency token and lock; flows pass {{ execution.id }} (required)"},
		{Name: "generate", Meta: "POLICY", Usage: "password policy, for example length=32,symbols=0,exclude=/@\"'\\ (default " + core.DefaultPolicy.String() + ")"},
		{Name: "stdin", Bool: true, Usage: "read the new value (a JSON object merged over CURRENT) from standard input instead of generating one"},
		{Name: "strategy", Meta: "S", Usage: "single (one user, password changed in place), alternate (app and app_clone take turns) or dual", Default: "single"},
		{Name: "dry-run", Bool: true, Usage: "print the plan and change nothing"},
		{Name: "stage", Meta: "STAGE", RequiredUnlessDefault: true, Usage: "which stage of the secret to use: current, pending or previous"},
		{Name: "expect-reject", Bool: true, Usage: "succeed only if the target refuses the credential (proves an old password is dead)"},
		{Name: "admin-secret", Meta: "URI", Usage: "secret reference of an admin credential for the target (same JSON shape); read through the store helper"},
		{Name: "timeout", Meta: "DURATION", Usage: "give up after this long (exit 3)", Default: "2m"},
		{Name: "grace", Meta: "DURATION", Usage: "how long to wait for the credential being retired (revoke) or reused (alternate deploy) to fall out of use before refusing (exit 5)"},
		{Name: "force", Bool: true, Usage: "go on even though the credential is still in use once --grace has passed, naming its sessions"},
	}
}

// EnvName is the environment variable that sets a flag.
func EnvName(flagName string) string {
	return "ROTATE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// spec is the flag name of c: declared by c itself, else a shared one.
func (c Command) spec(name string) Flag {
	for _, f := range append(c.Declared, sharedFlags()...) {
		if f.Name == name {
			return f
		}
	}
	panic("unknown flag " + name) // a programming error in a Command table
}

// parse reads args and then the environment for the flags a command accepts.
func parse(c Command, args []string, getenv func(string) string) (Options, Flags, error) {
	fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	fs.SetOutput(discard{})
	vals := map[string]*string{}
	bools := map[string]*bool{}
	for _, name := range c.Flags {
		spec := c.spec(name)
		if spec.Bool {
			bools[name] = fs.Bool(name, false, spec.Usage)
		} else {
			vals[name] = fs.String(name, c.defaultOf(spec), spec.Usage)
		}
	}
	if err := fs.Parse(args); err != nil {
		return Options{}, Flags{}, fmt.Errorf("%w: %v", core.ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return Options{}, Flags{}, fmt.Errorf("%w: unexpected argument %q", core.ErrUsage, fs.Arg(0))
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
			return Options{}, Flags{}, fmt.Errorf("%w: %s=%q: want true or false", core.ErrUsage, EnvName(name), env)
		}
		*bools[name] = b
	}
	values := map[string]string{}
	for n, p := range vals {
		values[n] = *p
	}
	for n, p := range bools {
		values[n] = strconv.FormatBool(*p)
	}
	o, err := c.options(values)
	return o, c.declared(values), err
}

func (c Command) defaultOf(spec Flag) string {
	if d, ok := c.Defaults[spec.Name]; ok {
		return d
	}
	return spec.Default
}

// declared are the values of the flags c declared itself.
func (c Command) declared(values map[string]string) Flags {
	f := Flags{vals: map[string]string{}}
	for _, d := range c.Declared {
		if v, ok := values[d.Name]; ok {
			f.vals[d.Name] = v
		}
	}
	return f
}

// options are the shared flags of values, checked.
func (c Command) options(values map[string]string) (Options, error) {
	str := func(n string) string { return values[n] }
	bl := func(n string) bool { return values[n] == "true" }
	o := Options{Secret: str("secret"), Rotation: str("rotation"), Generate: str("generate"), Stdin: bl("stdin"),
		Strategy: str("strategy"), DryRun: bl("dry-run"), Stage: str("stage"), ExpectReject: bl("expect-reject"),
		AdminSecret: str("admin-secret"), Timeout: 2 * time.Minute, Force: bl("force")}
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
	for _, name := range c.Flags {
		if c.spec(name).Required && str(name) == "" {
			return Options{}, fmt.Errorf("%w: --%s is required (or %s)", core.ErrUsage, name, EnvName(name))
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
