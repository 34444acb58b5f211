package flowrun

import (
	"fmt"
	"regexp"
	"strings"
)

// The subset of Pebble that flowrun parses: string literals, variables
// (inputs.X, execution.id, outputs.T.vars.K, trigger.X.Y, envs.x), secret('NAME'),
// parentheses, map literals, `==`, `~`, the filters replace, jq and first,
// Kestra's `??` (a default for an undefined setting, envs.x ?? 'v'), and
// the ternary `c ? a : b`. Precedences are Pebble's (CoreExtension) and
// Kestra's: `==` 30 < `|` 100 < `~` 110 < `??` 120, and the ternary binds
// loosest. Anything else
// is a parse error, so CheckExpressions refuses it before a flow runs.

// Operator precedences from Pebble's CoreExtension.
const (
	precEquals   = 30
	precFilter   = 100
	precConcat   = 110
	precCoalesce = 120 // Kestra's Extension
)

var (
	identPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*`)
	// jqPathPattern is the jq flowrun evaluates: `.` or a chain of .field.
	jqPathPattern = regexp.MustCompile(`^(\.|(\.[A-Za-z_][A-Za-z0-9_]*)+)$`)
)

type tokKind int

const (
	tokString tokKind = iota
	tokIdent
	tokPunct // . ( ) { } : , ? | ~ ==
)

type token struct {
	kind tokKind
	text string // the literal's value, the identifier or the punctuation
}

// tokenize splits a Pebble expression into tokens.
func tokenize(src string) ([]token, error) {
	var out []token
	for s := strings.TrimLeft(src, " \t\r\n"); s != ""; s = strings.TrimLeft(s, " \t\r\n") {
		switch {
		case s[0] == '\'' || s[0] == '"':
			end := strings.IndexByte(s[1:], s[0])
			if end < 0 {
				return nil, fmt.Errorf("unterminated string literal")
			}
			lit := s[1 : end+1]
			// Pebble unescapes backslashes and interpolates #{} in
			// double-quoted strings; flowrun does neither, so it refuses them.
			if strings.Contains(lit, `\`) || (s[0] == '"' && strings.Contains(lit, "#{")) {
				return nil, fmt.Errorf("string literal %q: escapes and interpolation are not supported", lit)
			}
			out, s = append(out, token{tokString, lit}), s[end+2:]
		case strings.HasPrefix(s, "??"):
			out, s = append(out, token{tokPunct, "??"}), s[2:]
		case strings.HasPrefix(s, "=="):
			out, s = append(out, token{tokPunct, "=="}), s[2:]
		case strings.ContainsRune(".(){}:,?|~", rune(s[0])):
			out, s = append(out, token{tokPunct, s[:1]}), s[1:]
		default:
			id := identPattern.FindString(s)
			if id == "" {
				return nil, fmt.Errorf("unexpected %q", s[:1])
			}
			out, s = append(out, token{tokIdent, id}), s[len(id):]
		}
	}
	return out, nil
}

// parser is a precedence-climbing parser over the tokens of one expression.
type parser struct {
	toks []token
	pos  int
}

func parseExpr(src string) (node, error) {
	s := strings.TrimSpace(src)
	toks, err := tokenize(s)
	if err == nil && len(toks) == 0 {
		err = fmt.Errorf("empty expression")
	}
	var n node
	if err == nil {
		p := &parser{toks: toks}
		n, err = p.expression()
		if err == nil && p.pos < len(toks) {
			err = fmt.Errorf("unexpected %q", toks[p.pos].text)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("expression {{ %s }} is not supported by flowrun: %w", s, err)
	}
	return n, nil
}

func (p *parser) peek(text string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind != tokString && p.toks[p.pos].text == text
}

func (p *parser) expect(text string) error {
	if !p.peek(text) {
		return fmt.Errorf("want %q", text)
	}
	p.pos++
	return nil
}

func (p *parser) next() (token, error) {
	if p.pos >= len(p.toks) {
		return token{}, fmt.Errorf("unexpected end")
	}
	p.pos++
	return p.toks[p.pos-1], nil
}

// expression is a binary expression, then an optional ternary whose
// branches are whole expressions (Pebble's parseTernaryExpression).
func (p *parser) expression() (node, error) {
	cond, err := p.binary(0)
	if err != nil || !p.peek("?") {
		return cond, err
	}
	p.pos++
	yes, err := p.expression()
	if err != nil {
		return nil, err
	}
	if err := p.expect(":"); err != nil {
		return nil, err
	}
	no, err := p.expression()
	if err != nil {
		return nil, err
	}
	return ternary{cond, yes, no}, nil
}

func (p *parser) binary(minPrec int) (node, error) {
	left, err := p.primary()
	for err == nil {
		switch {
		case p.peek("|") && precFilter >= minPrec:
			p.pos++
			left, err = p.filter(left)
		case p.peek("~") && precConcat >= minPrec:
			p.pos++
			var right node
			right, err = p.binary(precConcat + 1)
			left = concat{left, right}
		case p.peek("??") && precCoalesce >= minPrec:
			p.pos++
			var right node
			right, err = p.binary(precCoalesce + 1)
			left = coalesce{left, right}
		case p.peek("==") && precEquals >= minPrec:
			p.pos++
			var right node
			right, err = p.binary(precEquals + 1)
			left = equals{left, right}
		default:
			return left, nil
		}
	}
	return nil, err
}

func (p *parser) primary() (node, error) {
	t, err := p.next()
	switch {
	case err != nil:
		return nil, err
	case t.kind == tokString:
		return strLit(t.text), nil
	case t.text == "(":
		n, err := p.expression()
		if err == nil {
			err = p.expect(")")
		}
		return n, err
	case t.text == "{":
		return p.mapLiteral()
	case t.kind == tokIdent && p.peek("("):
		return p.call(t.text)
	case t.kind == tokIdent:
		return p.variable(t.text)
	}
	return nil, fmt.Errorf("unexpected %q", t.text)
}

// variable parses a dotted path from root and checks its shape.
func (p *parser) variable(root string) (node, error) {
	path := []string{root}
	for p.peek(".") {
		p.pos++
		t, err := p.next()
		if err != nil || t.kind != tokIdent {
			return nil, fmt.Errorf("want a name after %q", strings.Join(path, "."))
		}
		path = append(path, t.text)
	}
	v := variable(path)
	switch {
	case root == "inputs" && len(path) == 2,
		root == "execution" && len(path) == 2 && path[1] == "id",
		root == "outputs" && len(path) == 4 && path[2] == "vars",
		root == "trigger" && len(path) >= 2,
		root == "envs" && len(path) == 2:
		return v, nil
	}
	return nil, fmt.Errorf("variable %s", strings.Join(path, "."))
}

// call parses secret('NAME'), the only function flowrun knows.
func (p *parser) call(name string) (node, error) {
	p.pos++ // (
	arg, err := p.next()
	if name != "secret" || err != nil || arg.kind != tokString || !p.peek(")") {
		return nil, fmt.Errorf("function %s: flowrun knows secret('NAME') only", name)
	}
	p.pos++
	return secretCall(arg.text), nil
}

func (p *parser) mapLiteral() (node, error) {
	var m mapLit
	for !p.peek("}") {
		if len(m) > 0 {
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
		k, err := p.next()
		if err != nil || k.kind != tokString {
			return nil, fmt.Errorf("map keys must be string literals")
		}
		if err := p.expect(":"); err != nil {
			return nil, err
		}
		v, err := p.expression()
		if err != nil {
			return nil, err
		}
		m = append(m, mapEntry{k.text, v})
	}
	p.pos++
	return m, nil
}

// filter parses the filter invocation after `|` and checks its arguments.
func (p *parser) filter(in node) (node, error) {
	t, err := p.next()
	if err != nil || t.kind != tokIdent {
		return nil, fmt.Errorf("want a filter name after |")
	}
	f := filterCall{in: in, name: t.text}
	if p.peek("(") {
		p.pos++
		if f.arg, err = p.expression(); err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
	}
	switch arg := f.arg.(type) {
	case nil:
		if f.name == "first" {
			return f, nil
		}
	case mapLit:
		if f.name == "replace" {
			return f, arg.checkReplace()
		}
	case strLit:
		if f.name == "jq" && jqPathPattern.MatchString(string(arg)) {
			return f, nil
		}
		if f.name == "jq" {
			return nil, fmt.Errorf("jq(%q): flowrun evaluates paths .a.b only", string(arg))
		}
	}
	return nil, fmt.Errorf("filter %s: flowrun knows replace({...}), jq('.a.b') and first only", f.name)
}

// checkReplace refuses what flowrun would replace differently from Java's
// String.replace over a HashMap: empty or duplicate keys, too many keys to
// check every order.
func (m mapLit) checkReplace() error {
	seen := map[string]bool{}
	for _, e := range m {
		if e.key == "" || seen[e.key] {
			return fmt.Errorf("replace: empty or duplicate key %q", e.key)
		}
		seen[e.key] = true
	}
	if len(m) == 0 || len(m) > maxReplacePairs {
		return fmt.Errorf("replace: flowrun takes 1 to %d pairs", maxReplacePairs)
	}
	return nil
}
