package flowrun

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// resolveInputs applies defaults and checks types, values and validators
// the way Kestra does before it creates an execution. Values are the
// strings Pebble prints (a BOOL is "true" or "false").
func resolveInputs(f *Flow, given map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for name := range given {
		if !slices.ContainsFunc(f.Inputs, func(in Input) bool { return in.ID == name }) {
			return nil, fmt.Errorf("input %q is not declared by flow %s", name, f.ID)
		}
	}
	for _, in := range f.Inputs {
		v, ok := given[in.ID]
		if !ok && in.Defaults != nil {
			v, ok = fmt.Sprint(in.Defaults), true
		}
		if !ok {
			if in.Required == nil || *in.Required {
				return nil, fmt.Errorf("input %q is required", in.ID)
			}
			continue
		}
		if err := in.accepts(v); err != nil {
			return nil, err
		}
		out[in.ID] = v
	}
	return out, nil
}

func (in Input) accepts(v string) error {
	switch in.Type {
	case "BOOL":
		if v != "true" && v != "false" {
			return fmt.Errorf("input %s: %q is not a BOOL", in.ID, v)
		}
	case "SELECT":
		if !slices.Contains(in.Values, v) {
			return fmt.Errorf("input %s: %q is not one of %s", in.ID, v, strings.Join(in.Values, ", "))
		}
	}
	if in.Validator != "" {
		// Kestra matches the whole value (Java Pattern.matches).
		re, err := regexp.Compile(`^(?:` + in.Validator + `)$`)
		if err != nil {
			return fmt.Errorf("input %s: validator: %w", in.ID, err)
		}
		if !re.MatchString(v) {
			return fmt.Errorf("input %s: %q does not match the validator %s", in.ID, v, in.Validator)
		}
	}
	return nil
}

// SecretsFromEnviron reads secrets the way Kestra OSS does: every
// SECRET_<NAME> variable of environ, base64-encoded, becomes secret
// <NAME>. Values that do not decode are skipped and named in the error.
func SecretsFromEnviron(environ []string) (map[string]string, error) {
	out := map[string]string{}
	var bad []string
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		name, ok := strings.CutPrefix(k, "SECRET_")
		if !ok || name == "" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			bad = append(bad, k)
			continue
		}
		out[strings.ToUpper(name)] = string(b)
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("not base64, skipped: %s", strings.Join(bad, ", "))
	}
	return out, nil
}
