package flowrun

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The expressions flowrun understands, as Kestra's Pebble renders them.
var (
	inputExpr   = regexp.MustCompile(`^inputs\.([A-Za-z_][A-Za-z0-9_]*)$`)
	secretExpr  = regexp.MustCompile(`^secret\(\s*(?:'([^']*)'|"([^"]*)")\s*\)$`)
	outputsExpr = regexp.MustCompile(`^outputs\.([A-Za-z_][A-Za-z0-9_]*)\.vars\.([A-Za-z_][A-Za-z0-9_]*)$`)
	// inputs.X == 'v' ? secret('NAME') : '' - Pebble's ternary evaluates
	// only the branch it takes, so secret() is called (and must exist) only
	// when the input has that value. The generic rotate-secret flow uses it
	// to read only the credentials of the store it was given.
	triggerExpr  = regexp.MustCompile(`^trigger((?:\.[A-Za-z_][A-Za-z0-9_]*)+)$`)
	secretIfExpr = regexp.MustCompile(`^inputs\.([A-Za-z_][A-Za-z0-9_]*)\s*==\s*'([^']*)'\s*\?\s*secret\(\s*'([^']*)'\s*\)\s*:\s*''$`)
)

type exprKind int

const (
	exprInput exprKind = iota
	exprExecutionID
	exprSecret
	exprOutput
	exprSecretIf
	exprTrigger
)

// expr is one parsed {{ ... }} expression.
type expr struct {
	kind   exprKind
	name   string // input name, secret name or task id
	key    string // output key, or the input value of exprSecretIf
	secret string // the secret of exprSecretIf
}

func parseExpr(src string) (expr, error) {
	s := strings.TrimSpace(src)
	if s == "execution.id" {
		return expr{kind: exprExecutionID}, nil
	}
	if m := inputExpr.FindStringSubmatch(s); m != nil {
		return expr{kind: exprInput, name: m[1]}, nil
	}
	if m := secretExpr.FindStringSubmatch(s); m != nil {
		return expr{kind: exprSecret, name: m[1] + m[2]}, nil
	}
	if m := outputsExpr.FindStringSubmatch(s); m != nil {
		return expr{kind: exprOutput, name: m[1], key: m[2]}, nil
	}
	if m := triggerExpr.FindStringSubmatch(s); m != nil {
		return expr{kind: exprTrigger, name: m[1][1:]}, nil
	}
	if m := secretIfExpr.FindStringSubmatch(s); m != nil {
		return expr{kind: exprSecretIf, name: m[1], key: m[2], secret: m[3]}, nil
	}
	return expr{}, fmt.Errorf("expression {{ %s }} is not supported by flowrun", s)
}

// scan splits text into literal parts and expressions and calls fn for each
// in order (exactly one of lit and e is meaningful: e is nil for literals).
func scan(text string, fn func(lit string, e *expr) error) error {
	for _, tag := range []string{"{%", "{#"} {
		if strings.Contains(text, tag) {
			return fmt.Errorf("pebble tag or comment %q is not supported by flowrun", tag)
		}
	}
	for text != "" {
		open := strings.Index(text, "{{")
		if open < 0 {
			return fn(text, nil)
		}
		if err := fn(text[:open], nil); err != nil {
			return err
		}
		end := strings.Index(text[open:], "}}")
		if end < 0 {
			return errors.New("unterminated {{ in expression")
		}
		e, err := parseExpr(text[open+2 : open+end])
		if err != nil {
			return err
		}
		if err := fn("", &e); err != nil {
			return err
		}
		text = text[open+end+2:]
	}
	return nil
}

// CheckExpressions reports an error for any expression flowrun cannot
// render, without evaluating anything.
func CheckExpressions(text string) error {
	return scan(text, func(string, *expr) error { return nil })
}

// Context holds what expressions evaluate to.
type Context struct {
	Inputs      map[string]string
	ExecutionID string
	// Secrets maps a secret's name to its value. Like Kestra OSS, which
	// reads secret('db_password') from SECRET_DB_PASSWORD, lookups use the
	// upper-cased name.
	Secrets map[string]string
	Outputs map[string]map[string]any // task id -> vars
	// Trigger holds what the trigger received ({{ trigger.body.x }}), as a
	// Webhook's body; nil for executions without a trigger.
	Trigger map[string]any
}

// Render evaluates every expression of text; a missing input, secret,
// task output or key is an error, as in Kestra.
func (c Context) Render(text string) (string, error) {
	var b strings.Builder
	err := scan(text, func(lit string, e *expr) error {
		if e == nil {
			b.WriteString(lit)
			return nil
		}
		v, err := c.eval(*e)
		b.WriteString(v)
		return err
	})
	if err != nil {
		return "", err
	}
	return b.String(), nil
}

func (c Context) eval(e expr) (string, error) {
	switch e.kind {
	case exprExecutionID:
		if c.ExecutionID == "" {
			return "", errors.New("execution.id is not set")
		}
		return c.ExecutionID, nil
	case exprInput:
		v, ok := c.Inputs[e.name]
		if !ok {
			return "", fmt.Errorf("input %q is not defined", e.name)
		}
		return v, nil
	case exprSecret:
		return c.secret(e.name)
	case exprTrigger:
		return c.trigger(e.name)
	case exprSecretIf:
		in, ok := c.Inputs[e.name]
		if !ok {
			return "", fmt.Errorf("input %q is not defined", e.name)
		}
		if in != e.key {
			return "", nil
		}
		return c.secret(e.secret)
	}
	vars, ok := c.Outputs[e.name]
	if !ok {
		return "", fmt.Errorf("outputs.%s: task %s has no outputs (not run yet, or it failed)", e.name, e.name)
	}
	v, ok := vars[e.key]
	if !ok {
		return "", fmt.Errorf("outputs.%s.vars.%s is not defined", e.name, e.key)
	}
	return scalar(v)
}

// trigger looks up a dotted path in the trigger's variables; a missing key
// is an error, as in Kestra's strict Pebble.
func (c Context) trigger(path string) (string, error) {
	var v any = c.Trigger
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok || m[k] == nil {
			return "", fmt.Errorf("trigger.%s is not defined", path)
		}
		v = m[k]
	}
	return scalar(v)
}

func (c Context) secret(name string) (string, error) {
	v, ok := c.Secrets[strings.ToUpper(name)]
	if !ok {
		return "", fmt.Errorf("secret %q is not defined (Kestra OSS reads SECRET_%s)", name, strings.ToUpper(name))
	}
	return v, nil
}

// scalar prints an output value the way Pebble prints a JSON scalar.
func scalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case json.Number:
		return x.String(), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case int:
		return strconv.Itoa(x), nil
	}
	return "", fmt.Errorf("output value of type %T is not a scalar", v)
}
