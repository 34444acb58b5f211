package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// MaxValueBytes bounds a secret value; every store's own limit is lower or near.
const MaxValueBytes = 64 << 10

// Value is a secret value: a JSON object. Database secrets use the AWS RDS
// shape (engine, host, port, dbname, username, password). Fields the pack
// does not know are kept as they are.
type Value struct {
	fields map[string]json.RawMessage
}

// nonSecretFields are printed freely; every other string field is treated
// as secret by Sensitive and so scrubbed from output.
var nonSecretFields = map[string]bool{
	"engine": true, "host": true, "port": true, "dbname": true, "database": true,
	"username": true, "user": true, "sslmode": true, "access_key_id": true,
	"masterarn": true, "dbClusterIdentifier": true, "dbInstanceIdentifier": true,
	"account_host": true, "tls": true, "db": true, AdminHostsField: true,
}

// ParseValue parses a secret value. Anything but a JSON object is refused
// with ErrUsage; the error never quotes the input, which may be secret.
func ParseValue(b []byte) (Value, error) {
	if len(b) > MaxValueBytes {
		return Value{}, fmt.Errorf("%w: secret value is larger than %d bytes", ErrUsage, MaxValueBytes)
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil || m == nil || dec.More() {
		return Value{}, fmt.Errorf("%w: secret value is not a JSON object", ErrUsage)
	}
	return Value{fields: m}, nil
}

// ValueFromMap builds a value from a decoded JSON object, as the Vault SDK returns it.
func ValueFromMap(m map[string]any) (Value, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return Value{}, fmt.Errorf("%w: secret value is not JSON", ErrUsage)
	}
	return ParseValue(b)
}

// IsZero reports whether the value was never set.
func (v Value) IsZero() bool { return v.fields == nil }

// String returns a string field; ok is false when it is absent or not a string.
func (v Value) String(key string) (s string, ok bool) {
	raw, found := v.fields[key]
	if !found || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// decode unmarshals a field into out; false when it is absent or of another type.
func (v Value) decode(key string, out any) bool {
	raw, ok := v.fields[key]
	return ok && json.Unmarshal(raw, out) == nil
}

// Text returns a string or number field as text (port is often a number).
func (v Value) Text(key string) string {
	if s, ok := v.String(key); ok {
		return s
	}
	var n json.Number
	if raw, ok := v.fields[key]; ok && json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// With returns a copy of v with key set to the string s.
func (v Value) With(key, s string) Value {
	out := v.clone()
	b, _ := json.Marshal(s) // a Go string always marshals
	out.fields[key] = b
	return out
}

// Without returns a copy of v without the given fields.
func (v Value) Without(keys ...string) Value {
	out := v.clone()
	for _, k := range keys {
		delete(out.fields, k)
	}
	return out
}

// Merge returns a copy of v with every field of o set over it.
func (v Value) Merge(o Value) Value {
	out := v.clone()
	for k, raw := range o.fields {
		out.fields[k] = raw
	}
	return out
}

// Keys returns the field names in sorted order.
func (v Value) Keys() []string {
	keys := make([]string, 0, len(v.fields))
	for k := range v.fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Map returns the value as a decoded JSON object, for SDKs that want one.
func (v Value) Map() map[string]any {
	m := make(map[string]any, len(v.fields))
	for k, raw := range v.fields {
		var x any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		_ = dec.Decode(&x) // raw came from a successful decode
		m[k] = x
	}
	return m
}

// MarshalJSON encodes the value as a compact JSON object with sorted keys.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.fields == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(v.fields)
}

// UnmarshalJSON decodes a JSON object.
func (v *Value) UnmarshalJSON(b []byte) error {
	x, err := ParseValue(b)
	if err != nil {
		return err
	}
	*v = x
	return nil
}

// Equal reports whether two values hold the same fields with the same JSON.
func (v Value) Equal(o Value) bool {
	a, _ := v.MarshalJSON()
	b, _ := o.MarshalJSON()
	return bytes.Equal(a, b)
}

// Sensitive lists what must never be printed: every string field that is not
// a known non-secret field (host, username, ...), and the whole document.
func (v Value) Sensitive() []string {
	var out []string
	for _, k := range v.Keys() {
		if s, ok := v.String(k); ok && !nonSecretFields[k] && s != "" {
			out = append(out, s)
		}
	}
	if b, err := v.MarshalJSON(); err == nil && len(v.fields) > 0 {
		out = append(out, string(b))
	}
	return out
}

func (v Value) clone() Value {
	out := Value{fields: make(map[string]json.RawMessage, len(v.fields)+1)}
	for k, raw := range v.fields {
		out.fields[k] = raw
	}
	return out
}
