package flowrun

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	ctx := Context{
		Inputs:      map[string]string{"secret": "vault://secret/apps/db", "dry_run": "false"},
		ExecutionID: "4kTq7mAbCdEfGhIjKlMnOp",
		Secrets:     map[string]string{"VAULT_TOKEN": "s.token", "DB_PASSWORD": "pw"},
		Envs:        map[string]string{"VAULT_AUTH_METHOD": "approle"},
		Outputs: map[string]map[string]any{
			"stage": {"pending_version": json.Number("8"), "changed": true, "strategy": "single", "ratio": 2.5},
		},
		Trigger: map[string]any{"body": map[string]any{"secret": "vault://secret/apps/hook"}},
	}
	tests := []struct {
		name, in, want, err string
	}{
		{name: "literal", in: "vault-stage --help", want: "vault-stage --help"},
		{name: "empty", in: "", want: ""},
		{name: "input", in: `--secret "{{ inputs.secret }}"`, want: `--secret "vault://secret/apps/db"`},
		{name: "no spaces", in: "{{inputs.dry_run}}", want: "false"},
		{name: "execution id", in: "--rotation {{ execution.id }}", want: "--rotation 4kTq7mAbCdEfGhIjKlMnOp"},
		{name: "secret single quotes", in: "{{ secret('VAULT_TOKEN') }}", want: "s.token"},
		{name: "secret double quotes", in: `{{ secret("VAULT_TOKEN") }}`, want: "s.token"},
		{name: "secret lower case name", in: "{{ secret('db_password') }}", want: "pw"},
		{name: "output number", in: "v{{ outputs.stage.vars.pending_version }}", want: "v8"},
		{name: "output bool", in: "{{ outputs.stage.vars.changed }}", want: "true"},
		{name: "output float", in: "{{ outputs.stage.vars.ratio }}", want: "2.5"},
		{name: "several", in: "{{ inputs.secret }} {{ execution.id }}!", want: "vault://secret/apps/db 4kTq7mAbCdEfGhIjKlMnOp!"},
		{name: "secret if taken", in: "{{ inputs.dry_run == 'false' ? secret('VAULT_TOKEN') : '' }}", want: "s.token"},
		{name: "secret if not taken", in: "{{inputs.dry_run=='true'?secret('NOPE'):''}}", want: ""},
		{name: "secret if missing secret", in: "{{ inputs.dry_run == 'false' ? secret('NOPE') : '' }}", err: "SECRET_NOPE"},
		{name: "secret if missing input", in: "{{ inputs.nope == 'x' ? secret('VAULT_TOKEN') : '' }}", err: `input "nope" is not defined`},
		{name: "ternary other else", in: "{{ inputs.dry_run == 'x' ? secret('VAULT_TOKEN') : 'y' }}", want: "y"},
		{name: "missing input", in: "{{ inputs.nope }}", err: `input "nope" is not defined`},
		{name: "missing secret", in: "{{ secret('NOPE') }}", err: "SECRET_NOPE"},
		{name: "missing task outputs", in: "{{ outputs.deploy.vars.version }}", err: "task deploy has no outputs"},
		{name: "missing output key", in: "{{ outputs.stage.vars.nope }}", err: "outputs.stage.vars.nope is not defined"},
		{name: "unknown root", in: "{{ vars.x }}", err: "not supported"},
		{name: "trigger", in: "{{ trigger.body.secret }}", want: "vault://secret/apps/hook"},
		{name: "trigger missing key", in: "{{ trigger.body.nope }}", err: "trigger.body.nope is not defined"},
		{name: "trigger not scalar", in: "{{ trigger.body }}", err: "not a scalar"},
		{name: "filter", in: "{{ inputs.secret | upper }}", err: "not supported"},
		{name: "default of a defined input", in: "{{ inputs.secret ?? 'x' }}", want: "vault://secret/apps/db"},
		{name: "default of a setting", in: "{{ envs.vault_auth_method ?? 'token' }}", want: "approle"},
		{name: "default of an undefined setting", in: "{{ envs.nope ?? 'token' }}", want: "token"},
		{name: "default chooses the secret", in: "{{ (envs.nope ?? 'token') == 'token' ? secret('VAULT_TOKEN') : '' }}", want: "s.token"},
		{name: "default chooses no secret", in: "{{ (envs.vault_auth_method ?? 'token') == 'token' ? secret('VAULT_TOKEN') : '' }}", want: ""},
		{name: "default of a missing secret is an error, as in Kestra", in: "{{ secret('NOPE') ?? '' }}", err: "NOPE"},
		{name: "default binds tighter than concat", in: "{{ 'a' ~ envs.nope ?? 'b' }}", want: "ab"},
		{name: "secret with namespace", in: "{{ secret('X', namespace='other') }}", err: "not supported"},
		{name: "secret unquoted", in: "{{ secret(X) }}", err: "not supported"},
		{name: "outputs exitCode", in: "{{ outputs.stage.exitCode }}", err: "not supported"},
		{name: "function", in: "{{ now() }}", err: "not supported"},
		{name: "brackets", in: "{{ outputs['stage'].vars.x }}", err: "not supported"},
		{name: "empty expression", in: "{{ }}", err: "not supported"},
		{name: "unterminated", in: "echo {{ inputs.secret", err: "unterminated"},
		{name: "tag", in: "{% if true %}x{% endif %}", err: "tag or comment"},
		{name: "comment", in: "{# note #}", err: "tag or comment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ctx.Render(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Render(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
				}
				if CheckExpressions(tt.in) == nil && strings.Contains(tt.err, "not supported") {
					t.Errorf("CheckExpressions(%q) accepted an unsupported expression", tt.in)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Render(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			if err := CheckExpressions(tt.in); err != nil {
				t.Errorf("CheckExpressions(%q): %v", tt.in, err)
			}
		})
	}
}

func TestRenderDoesNotRenderValuesAgain(t *testing.T) {
	ctx := Context{Inputs: map[string]string{"x": "{{ secret('T') }}"}, Secrets: map[string]string{"T": "tok"}}
	got, err := ctx.Render("{{ inputs.x }}")
	if err != nil || got != "{{ secret('T') }}" {
		t.Fatalf("got %q, %v; want the input verbatim (Kestra renders once)", got, err)
	}
}

func TestISODuration(t *testing.T) {
	for in, want := range map[string]string{"PT15S": "15s", "PT1M30S": "1m30s", "PT0.5S": "500ms", "PT2H": "2h0m0s"} {
		d, err := isoDuration(in)
		if err != nil || d.String() != want {
			t.Errorf("isoDuration(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, in := range []string{"", "15S", "PT", "PTS", "PT1X", "P1D"} {
		if _, err := isoDuration(in); err == nil {
			t.Errorf("isoDuration(%q): want an error", in)
		}
	}
}

func TestSecretsFromEnviron(t *testing.T) {
	got, err := SecretsFromEnviron([]string{"SECRET_VAULT_TOKEN=cy50b2tlbg==", "PATH=/bin", "SECRET_BAD=%%%", "SECRET_=eA=="})
	if err == nil || !strings.Contains(err.Error(), "SECRET_BAD") {
		t.Errorf("want an error naming SECRET_BAD, got %v", err)
	}
	if len(got) != 1 || got["VAULT_TOKEN"] != "s.token" {
		t.Errorf("got %v", got)
	}
}
