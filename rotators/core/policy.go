package core

import (
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
)

// Character classes of the password generator.
const (
	upperChars  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lowerChars  = "abcdefghijklmnopqrstuvwxyz"
	digitChars  = "0123456789"
	symbolChars = "!#$%&()*+,-.:;<=>?[]^_{|}~"
)

// Policy says how a password is generated. For each class the number is a
// minimum count; 0 leaves the class out entirely. Exclude removes characters
// from every class (for example quotes that a consumer mishandles).
type Policy struct {
	Length  int
	Upper   int
	Lower   int
	Digits  int
	Symbols int
	Exclude string
}

// DefaultPolicy is 32 characters of letters and digits, at least one of each:
// about 190 bits, and safe in URLs, shells and connection strings.
var DefaultPolicy = Policy{Length: 32, Upper: 1, Lower: 1, Digits: 1}

// Policy limits.
const (
	MinLength = 8
	MaxLength = 1024
)

// ParsePolicy parses a spec such as "length=32,symbols=0,exclude=/@\"'\\".
// Keys: length, upper, lower, digits, symbols, exclude. exclude must come
// last: it takes the rest of the spec verbatim, commas included. Keys not
// given keep DefaultPolicy's values. The empty spec is DefaultPolicy.
func ParsePolicy(spec string) (Policy, error) {
	p := DefaultPolicy
	for spec != "" {
		var item string
		if strings.HasPrefix(spec, "exclude=") {
			item, spec = spec, ""
		} else {
			item, spec, _ = strings.Cut(spec, ",")
		}
		key, val, ok := strings.Cut(item, "=")
		if !ok {
			return Policy{}, fmt.Errorf("%w: policy item %q: want key=value", ErrUsage, item)
		}
		if key == "exclude" {
			p.Exclude = val
			continue
		}
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return Policy{}, fmt.Errorf("%w: policy %s=%q: want a whole number", ErrUsage, key, val)
		}
		switch key {
		case "length":
			p.Length = n
		case "upper":
			p.Upper = n
		case "lower":
			p.Lower = n
		case "digits":
			p.Digits = n
		case "symbols":
			p.Symbols = n
		default:
			return Policy{}, fmt.Errorf("%w: policy key %q: want length, upper, lower, digits, symbols or exclude", ErrUsage, key)
		}
	}
	return p, p.check()
}

// String renders the policy as a spec that ParsePolicy reads back.
func (p Policy) String() string {
	s := fmt.Sprintf("length=%d,upper=%d,lower=%d,digits=%d,symbols=%d", p.Length, p.Upper, p.Lower, p.Digits, p.Symbols)
	if p.Exclude != "" {
		s += ",exclude=" + p.Exclude
	}
	return s
}

type class struct {
	name  string
	chars string
	min   int
}

func (p Policy) classes() []class {
	all := []class{{"upper", upperChars, p.Upper}, {"lower", lowerChars, p.Lower},
		{"digits", digitChars, p.Digits}, {"symbols", symbolChars, p.Symbols}}
	var out []class
	for _, c := range all {
		if c.min == 0 {
			continue
		}
		c.chars = strings.Map(func(r rune) rune {
			if strings.ContainsRune(p.Exclude, r) {
				return -1
			}
			return r
		}, c.chars)
		out = append(out, c)
	}
	return out
}

func (p Policy) check() error {
	if p.Length < MinLength || p.Length > MaxLength {
		return fmt.Errorf("%w: policy length=%d: want %d to %d", ErrUsage, p.Length, MinLength, MaxLength)
	}
	classes, required := p.classes(), 0
	if len(classes) == 0 {
		return fmt.Errorf("%w: policy leaves no character class", ErrUsage)
	}
	for _, c := range classes {
		if c.chars == "" {
			return fmt.Errorf("%w: policy excludes every %s character", ErrUsage, c.name)
		}
		required += c.min
	}
	if required > p.Length {
		return fmt.Errorf("%w: policy requires %d characters but length is %d", ErrUsage, required, p.Length)
	}
	return nil
}

// Generate makes a password by the policy from crypto/rand: the required
// characters of each class, the rest drawn uniformly from all enabled
// classes, then shuffled so the required ones sit at random places.
func (p Policy) Generate() (string, error) {
	if err := p.check(); err != nil {
		return "", err
	}
	var all strings.Builder
	out := make([]byte, 0, p.Length)
	for _, c := range p.classes() {
		all.WriteString(c.chars)
		for i := 0; i < c.min; i++ {
			b, err := pick(c.chars)
			if err != nil {
				return "", err
			}
			out = append(out, b)
		}
	}
	for len(out) < p.Length {
		b, err := pick(all.String())
		if err != nil {
			return "", err
		}
		out = append(out, b)
	}
	for i := len(out) - 1; i > 0; i-- {
		j, err := uniform(i + 1)
		if err != nil {
			return "", err
		}
		out[i], out[j] = out[j], out[i]
	}
	return string(out), nil
}

func pick(chars string) (byte, error) {
	i, err := uniform(len(chars))
	if err != nil {
		return 0, err
	}
	return chars[i], nil
}

// uniform returns a uniformly random int in [0, n), 0 < n <= 65536, by
// rejection sampling so that no outcome is more likely than another.
func uniform(n int) (int, error) {
	limit := 65536 - 65536%n
	var b [2]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("read random bytes: %w", err)
		}
		if x := int(b[0])<<8 | int(b[1]); x < limit {
			return x % n, nil
		}
	}
}
