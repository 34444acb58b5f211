package flowrun

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// maxReplacePairs bounds the orders replace tries (n!).
const maxReplacePairs = 4

// node is one parsed expression; eval returns a string, nil (Pebble's
// null), a bool, a JSON number, a map or a list.
type node interface {
	eval(c Context) (any, error)
}

type (
	strLit     string
	variable   []string
	secretCall string
	concat     struct{ l, r node }
	equals     struct{ l, r node }
	ternary    struct{ cond, yes, no node }
	coalesce   struct{ l, r node }
	mapLit     []mapEntry
	mapEntry   struct {
		key string
		val node
	}
	filterCall struct {
		in   node
		name string
		arg  node // nil, a mapLit (replace) or a strLit (jq)
	}
)

func (n strLit) eval(Context) (any, error)       { return string(n), nil }
func (n variable) eval(c Context) (any, error)   { return c.lookup(n) }
func (n secretCall) eval(c Context) (any, error) { return c.secret(string(n)) }

// eval of ~ is Pebble's ConcatenateExpression; flowrun concatenates
// strings only, since Java's toString of other values is not Go's.
func (n concat) eval(c Context) (any, error) {
	l, err := evalString(c, n.l, "~")
	if err != nil {
		return nil, err
	}
	r, err := evalString(c, n.r, "~")
	return l + r, err
}

// eval of == compares strings (Java equals); a null side is unequal to a
// string. Other types are refused.
func (n equals) eval(c Context) (any, error) {
	l, err := n.l.eval(c)
	if err != nil {
		return nil, err
	}
	r, err := n.r.eval(c)
	if err != nil {
		return nil, err
	}
	ls, lok := l.(string)
	rs, rok := r.(string)
	switch {
	case lok && rok:
		return ls == rs, nil
	case (lok || l == nil) && (rok || r == nil):
		return l == nil && r == nil, nil
	}
	return nil, fmt.Errorf("==: flowrun compares strings only, got %T and %T", l, r)
}

// errUndefined marks a lookup of a setting that is not defined, which
// Kestra's `??` replaces by its right side (its NullCoalescingExpression
// catches Pebble's AttributeNotFoundException, nothing else: a missing
// secret() is an error there too).
var errUndefined = errors.New("not defined")

// eval of ?? is the left side, or the right one when the left is an
// undefined setting.
func (n coalesce) eval(c Context) (any, error) {
	v, err := n.l.eval(c)
	if errors.Is(err, errUndefined) {
		return n.r.eval(c)
	}
	return v, err
}

// eval of the ternary evaluates only the branch it takes, as Pebble does:
// secret() in the other branch is never read.
func (n ternary) eval(c Context) (any, error) {
	v, err := n.cond.eval(c)
	if err != nil {
		return nil, err
	}
	b, ok := v.(bool)
	if !ok {
		return nil, fmt.Errorf("ternary condition is %T, not a boolean", v)
	}
	if b {
		return n.yes.eval(c)
	}
	return n.no.eval(c)
}

func (n mapLit) eval(Context) (any, error) {
	return nil, errors.New("a map literal is only supported as the argument of replace")
}

func (n filterCall) eval(c Context) (any, error) {
	in, err := n.in.eval(c)
	if err != nil {
		return nil, err
	}
	switch n.name {
	case "first":
		return first(in)
	case "jq":
		return jq(in, string(n.arg.(strLit)))
	}
	return n.arg.(mapLit).replace(c, in)
}

func evalString(c Context, n node, op string) (string, error) {
	v, err := n.eval(c)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: flowrun takes strings only, got %T", op, v)
	}
	return s, nil
}

// first is Pebble's FirstFilter on a list: its first element, null if
// empty; null stays null.
func first(in any) (any, error) {
	switch x := in.(type) {
	case nil:
		return nil, nil
	case []any:
		if len(x) == 0 {
			return nil, nil
		}
		return x[0], nil
	}
	return nil, fmt.Errorf("first: flowrun takes a list, got %T", in)
}

// jq is Kestra's jq filter for a path .a.b: a string input is parsed as
// JSON first, the result is a list of the one value the path yields, a
// missing field yields null and indexing a non-object fails (jq semantics).
func jq(in any, path string) (any, error) {
	if in == nil {
		return nil, nil
	}
	if s, ok := in.(string); ok {
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		if err := d.Decode(&in); err != nil || d.More() {
			return nil, fmt.Errorf("jq: input is a string that is not one JSON value")
		}
	}
	v := in
	for _, k := range strings.Split(strings.TrimPrefix(path, "."), ".") {
		if k == "" {
			break // the identity path "."
		}
		switch m := v.(type) {
		case nil:
		case map[string]any:
			v = m[k]
		default:
			return nil, fmt.Errorf("jq %s: cannot index %s with %q", path, jsonType(v), k)
		}
	}
	return []any{v}, nil
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case []any:
		return "array"
	case bool:
		return "boolean"
	}
	return "number"
}

// replace is Pebble's ReplaceFilter: for each pair of the map, every
// occurrence of the key becomes the value (Java String.replace). Pebble's
// map literal is a HashMap, so the order of the pairs is unspecified:
// flowrun applies every order and refuses a result that depends on it.
func (m mapLit) replace(c Context, in any) (any, error) {
	if in == nil {
		return nil, nil
	}
	s, ok := in.(string)
	if !ok {
		return nil, fmt.Errorf("replace: flowrun takes a string, got %T", in)
	}
	vals := make([]string, len(m))
	for i, e := range m {
		v, err := evalString(c, e.val, "replace value")
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	var result *string
	for _, order := range permutations(len(m)) {
		out := s
		for _, i := range order {
			out = strings.ReplaceAll(out, m[i].key, vals[i])
		}
		if result != nil && *result != out {
			return nil, errors.New("replace: the result depends on the order of the pairs, which Pebble leaves unspecified")
		}
		result = &out
	}
	return *result, nil
}

// permutations returns every order of 0..n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

// printValue renders an expression's value the way Pebble prints a scalar;
// null and structures are errors rather than Pebble's "" or Java toString.
func printValue(v any) (string, error) {
	if v == nil {
		return "", errors.New("the expression is null (Kestra prints nothing; flowrun refuses, as a Subflow input may then take its default)")
	}
	return scalar(v)
}
