package flowrun

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// scan splits text into literal parts and expressions (see pebble.go) and
// calls fn for each in order (e is nil for literals).
func scan(text string, fn func(lit string, e node) error) error {
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
		if err := fn("", e); err != nil {
			return err
		}
		text = text[open+end+2:]
	}
	return nil
}

// CheckExpressions reports an error for any expression flowrun cannot
// render, without evaluating anything.
func CheckExpressions(text string) error {
	return scan(text, func(string, node) error { return nil })
}

// Context holds what expressions evaluate to.
type Context struct {
	Inputs      map[string]string
	ExecutionID string
	// Secrets maps a secret's name to its value. Like Kestra OSS, which
	// reads secret('db_password') from SECRET_DB_PASSWORD, lookups use the
	// upper-cased name.
	Secrets map[string]string
	// Envs maps a setting's name to its value, for {{ envs.name }}: Kestra
	// reads envs.vault_addr from the server's ENV_VAULT_ADDR (default
	// prefix), never masked; lookups use the upper-cased name.
	Envs    map[string]string
	Outputs map[string]map[string]any // task id -> vars
	// Trigger holds what the trigger received, as {{ trigger.X.Y }} reads
	// it: a Webhook's or Service Bus message's body, a Pub/Sub message's
	// attributes, an SQS message's data; nil for executions without one.
	Trigger map[string]any
}

// Render evaluates every expression of text; a missing input, secret,
// task output or key is an error, as in Kestra.
func (c Context) Render(text string) (string, error) {
	var b strings.Builder
	err := scan(text, func(lit string, e node) error {
		if e == nil {
			b.WriteString(lit)
			return nil
		}
		v, err := e.eval(c)
		if err != nil {
			return err
		}
		s, err := printValue(v)
		b.WriteString(s)
		return err
	})
	if err != nil {
		return "", err
	}
	return b.String(), nil
}

// lookup reads a variable the parser accepted; a missing input, task
// output or key is an error, as in Kestra's strict Pebble.
func (c Context) lookup(path []string) (any, error) {
	switch path[0] {
	case "execution":
		if c.ExecutionID == "" {
			return nil, errors.New("execution.id is not set")
		}
		return c.ExecutionID, nil
	case "inputs":
		v, ok := c.Inputs[path[1]]
		if !ok {
			return nil, fmt.Errorf("input %q is not defined", path[1])
		}
		return v, nil
	case "trigger":
		return c.trigger(path[1:])
	case "envs":
		v, ok := c.Envs[strings.ToUpper(path[1])]
		if !ok {
			return nil, fmt.Errorf("envs.%s is %w (Kestra reads ENV_%s)", path[1], errUndefined, strings.ToUpper(path[1]))
		}
		return v, nil
	}
	vars, ok := c.Outputs[path[1]]
	if !ok {
		return nil, fmt.Errorf("outputs.%s: task %s has no outputs (not run yet, or it failed)", path[1], path[1])
	}
	v, ok := vars[path[3]]
	if !ok {
		return nil, fmt.Errorf("outputs.%s.vars.%s is not defined", path[1], path[3])
	}
	return v, nil
}

// trigger looks up a path in the trigger's variables; a missing key is an
// error, as in Kestra's strict Pebble.
func (c Context) trigger(path []string) (any, error) {
	var v any = c.Trigger
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok || m[k] == nil {
			return nil, fmt.Errorf("trigger.%s is not defined", strings.Join(path, "."))
		}
		v = m[k]
	}
	return v, nil
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
