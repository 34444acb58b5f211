package flowrun

import (
	"encoding/json"
	"strings"
	"testing"
)

// The Subflow inputs of the event entry-point flows, as written in flows/.
const (
	pubsubExpr     = "{{ trigger.attributes.eventType == 'SECRET_ROTATE' ? (trigger.attributes.secretId | replace({'projects/': 'gcpsm://', '/secrets/': '/'})) : 'not-a-SECRET_ROTATE-event' }}"
	serviceBusExpr = "{{ trigger.body.eventType == 'Microsoft.KeyVault.SecretNearExpiry' ? 'azkv://' ~ trigger.body.data.VaultName ~ '/' ~ trigger.body.data.ObjectName ~ '?expires=90d' : 'not-a-SecretNearExpiry-event' }}"
	sqsExpr        = "{{ trigger.data | jq('.secret') | first }}"
)

func TestRenderPebbleSubset(t *testing.T) {
	tests := []struct {
		name    string
		trigger map[string]any
		in      string
		want    string
		err     string
	}{
		{name: "pubsub rotate", in: pubsubExpr, trigger: pubsub("SECRET_ROTATE", "projects/orders-prod/secrets/orders-postgres"), want: "gcpsm://orders-prod/orders-postgres"},
		{name: "pubsub version add", in: pubsubExpr, trigger: pubsub("SECRET_VERSION_ADD", "projects/orders-prod/secrets/orders-postgres"), want: "not-a-SECRET_ROTATE-event"},
		{name: "pubsub no secretId, other event", in: pubsubExpr, trigger: map[string]any{"attributes": map[string]any{"eventType": "SECRET_CREATE"}}, want: "not-a-SECRET_ROTATE-event"},
		{name: "pubsub no eventType", in: pubsubExpr, trigger: map[string]any{"attributes": map[string]any{"secretId": "projects/p/secrets/s"}}, err: "trigger.attributes.eventType is not defined"},
		{name: "servicebus near expiry", in: serviceBusExpr, trigger: serviceBus("Microsoft.KeyVault.SecretNearExpiry", "orders-kv", "orders-postgres"), want: "azkv://orders-kv/orders-postgres?expires=90d"},
		{name: "servicebus expired", in: serviceBusExpr, trigger: serviceBus("Microsoft.KeyVault.SecretExpired", "orders-kv", "orders-postgres"), want: "not-a-SecretNearExpiry-event"},
		{name: "servicebus no VaultName", in: serviceBusExpr, trigger: map[string]any{"body": map[string]any{"eventType": "Microsoft.KeyVault.SecretNearExpiry", "data": map[string]any{"ObjectName": "x"}}}, err: "trigger.body.data.VaultName is not defined"},
		{name: "sqs map", in: sqsExpr, trigger: map[string]any{"data": map[string]any{"secret": "awssm://apps/ci-bot/key"}}, want: "awssm://apps/ci-bot/key"},
		{name: "sqs json string", in: sqsExpr, trigger: map[string]any{"data": `{"secret": "awssm://apps/ci-bot/key"}`}, want: "awssm://apps/ci-bot/key"},
		{name: "sqs missing field is null", in: sqsExpr, trigger: map[string]any{"data": map[string]any{"detail": "x"}}, err: "is null"},
		{name: "sqs number", in: sqsExpr, trigger: map[string]any{"data": map[string]any{"secret": json.Number("7")}}, want: "7"},
		{name: "sqs string not json", in: sqsExpr, trigger: map[string]any{"data": "awssm://x"}, err: "not one JSON value"},
		{name: "sqs index a string", in: "{{ trigger.data | jq('.secret.name') | first }}", trigger: map[string]any{"data": map[string]any{"secret": "s"}}, err: `cannot index string with "name"`},
		{name: "jq nested", in: "{{ trigger.data | jq('.a.b') | first }}", trigger: map[string]any{"data": map[string]any{"a": map[string]any{"b": "c"}}}, want: "c"},
		{name: "jq through null", in: "{{ trigger.data | jq('.a.b') | first }}", trigger: map[string]any{"data": map[string]any{"x": "y"}}, err: "is null"},
		{name: "jq identity", in: "{{ trigger.data | jq('.') | first }}", trigger: map[string]any{"data": `"s"`}, want: "s"},
		{name: "jq list not printed", in: "{{ trigger.data | jq('.a') }}", trigger: map[string]any{"data": map[string]any{"a": "b"}}, err: "not a scalar"},
		{name: "first of string", in: "{{ trigger.x | first }}", trigger: map[string]any{"x": "abc"}, err: "first: flowrun takes a list"},
		{name: "concat", in: "{{ 'a' ~ trigger.x ~ \"c\" }}", trigger: map[string]any{"x": "b"}, want: "abc"},
		{name: "concat binds tighter than filter", in: "{{ 'xa' ~ 'a' | replace({'a': 'b'}) }}", want: "xbb"},
		{name: "filter then concat", in: "{{ trigger.x | replace({'a': 'b'}) ~ 'a' }}", trigger: map[string]any{"x": "a"}, want: "ba"},
		{name: "concat bool", in: "{{ 'a' ~ trigger.x }}", trigger: map[string]any{"x": true}, err: "strings only"},
		{name: "equals binds looser than concat", in: "{{ 'a' ~ 'b' == 'ab' ? 'yes' : 'no' }}", want: "yes"},
		{name: "equals number", in: "{{ trigger.x == '1' ? 'a' : 'b' }}", trigger: map[string]any{"x": json.Number("1")}, err: "compares strings only"},
		{name: "nested ternary", in: "{{ 'a' == 'b' ? 'x' : 'a' == 'a' ? 'y' : 'z' }}", want: "y"},
		{name: "ternary on string", in: "{{ 'a' ? 'x' : 'y' }}", err: "not a boolean"},
		{name: "ternary branch not taken", in: "{{ 'a' == 'b' ? trigger.nope : 'ok' }}", want: "ok"},
		{name: "parentheses", in: "{{ ('a' ~ 'b') }}", want: "ab"},
		{name: "replace every occurrence", in: "{{ 'a-a-a' | replace({'a': 'b'}) }}", want: "b-b-b"},
		{name: "replace order dependent", in: "{{ 'ab' | replace({'a': 'b', 'b': 'c'}) }}", err: "depends on the order"},
		{name: "replace order independent", in: "{{ 'ab' | replace({'a': 'x', 'b': 'y'}) }}", want: "xy"},
		{name: "replace empty key", in: "{{ 'ab' | replace({'': 'x'}) }}", err: "not supported by flowrun: replace: empty or duplicate key"},
		{name: "replace duplicate key", in: "{{ 'ab' | replace({'a': 'x', 'a': 'y'}) }}", err: "not supported by flowrun: replace: empty or duplicate key"},
		{name: "replace string argument", in: "{{ 'ab' | replace('a') }}", err: "not supported"},
		{name: "replace non-string", in: "{{ trigger.x | replace({'a': 'b'}) }}", trigger: map[string]any{"x": json.Number("1")}, err: "takes a string"},
		{name: "jq other expression", in: "{{ trigger.data | jq('.[0]') | first }}", err: "not supported by flowrun: jq"},
		{name: "jq alternative", in: "{{ trigger.data | jq('.a // \"x\"') | first }}", err: "not supported"},
		{name: "jq pipe", in: "{{ trigger.data | jq('.a | .b') | first }}", err: "not supported by flowrun: jq"},
		{name: "jq variable argument", in: "{{ trigger.data | jq(trigger.path) | first }}", err: "not supported"},
		{name: "unknown filter", in: "{{ trigger.x | last }}", err: "not supported"},
		{name: "map outside replace", in: "{{ {'a': 'b'} }}", err: "only supported as the argument of replace"},
		{name: "not equals", in: "{{ 'a' != 'b' ? 'x' : 'y' }}", err: "not supported"},
		{name: "and", in: "{{ 'a' == 'a' and 'b' == 'b' ? 'x' : 'y' }}", err: "not supported"},
		{name: "number literal", in: "{{ 1 }}", err: "not supported"},
		{name: "escape", in: `{{ 'a\'b' }}`, err: "not supported"},
		{name: "interpolation", in: `{{ "#{trigger.x}" }}`, err: "not supported"},
		{name: "unterminated string", in: "{{ 'abc }}", err: "not supported"},
		{name: "unbalanced paren", in: "{{ ('a' }}", err: "not supported"},
		{name: "ternary without else", in: "{{ 'a' == 'a' ? 'x' }}", err: "not supported"},
		{name: "trigger root alone", in: "{{ trigger }}", err: "not supported"},
		{name: "path on parentheses", in: "{{ (trigger.x).y }}", err: "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := Context{Trigger: tt.trigger}
			got, err := ctx.Render(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Render(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
				}
				if cerr := CheckExpressions(tt.in); (cerr == nil) == strings.Contains(tt.err, "not supported") {
					t.Errorf("CheckExpressions(%q) = %v; want an error only for an unsupported expression", tt.in, cerr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Render(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func pubsub(eventType, secretID string) map[string]any {
	return map[string]any{"attributes": map[string]any{"eventType": eventType, "secretId": secretID}}
}

func serviceBus(eventType, vault, name string) map[string]any {
	return map[string]any{"body": map[string]any{"eventType": eventType,
		"data": map[string]any{"VaultName": vault, "ObjectType": "Secret", "ObjectName": name}}}
}

func TestPermutations(t *testing.T) {
	for n, want := range map[int]int{0: 1, 1: 1, 2: 2, 3: 6, 4: 24} {
		seen := map[string]bool{}
		for _, p := range permutations(n) {
			b, _ := json.Marshal(p)
			seen[string(b)] = true
		}
		if len(seen) != want {
			t.Errorf("permutations(%d): %d distinct orders, want %d", n, len(seen), want)
		}
	}
}
