package postgres

import (
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

func TestRolePropStatements(t *testing.T) {
	tests := []struct {
		p             priv
		grant, revoke string
	}{
		{priv{kindSetting, "statement_timeout=42s", ""},
			`ALTER ROLE "app" SET "statement_timeout" TO E'42s'`, `ALTER ROLE "app" RESET "statement_timeout"`},
		{priv{kindSetting, "work_mem=3MB", "app db"},
			`ALTER ROLE "app" IN DATABASE "app db" SET "work_mem" TO E'3MB'`, `ALTER ROLE "app" IN DATABASE "app db" RESET "work_mem"`},
		{priv{kindSetting, `search_path="$user", public`, ""},
			`SELECT set_config(E'search_path', E'"$user", public', true); ALTER ROLE "app" SET "search_path" FROM CURRENT`, `ALTER ROLE "app" RESET "search_path"`},
		{priv{kindSetting, "myapp.tenant=it's", ""},
			`ALTER ROLE "app" SET "myapp"."tenant" TO E'it''s'`, `ALTER ROLE "app" RESET "myapp"."tenant"`},
		{priv{kindLimit, "40", ""}, `ALTER ROLE "app" CONNECTION LIMIT 40`, `ALTER ROLE "app" CONNECTION LIMIT -1`},
		{priv{kindValid, "2999-01-01 00:00:00+00", ""},
			`ALTER ROLE "app" VALID UNTIL E'2999-01-01 00:00:00+00'`, `ALTER ROLE "app" VALID UNTIL 'infinity'`},
		{priv{kindAdmin, "lead", ""}, `GRANT "lead" TO "app" WITH ADMIN OPTION`, `REVOKE ADMIN OPTION FOR "lead" FROM "app"`},
	}
	for _, tc := range tests {
		if got := tc.p.grant("app"); got != tc.grant {
			t.Errorf("grant %s: got %s, want %s", tc.p, got, tc.grant)
		}
		if got := tc.p.revoke("app"); got != tc.revoke {
			t.Errorf("revoke %s: got %s, want %s", tc.p, got, tc.revoke)
		}
	}
}

// TestDiffPrivsOrder: memberships before their admin option before grants
// when granting, the reverse when revoking.
func TestDiffPrivsOrder(t *testing.T) {
	member, admin := priv{kindMember, "g", ""}, priv{kindAdmin, "g", ""}
	grant := priv{kindGrant, "SELECT (a)", "TABLE t"}
	limit := priv{kindLimit, "5", ""}
	all := []priv{grant, admin, member, limit}
	missing, _ := diffPrivs(all, nil)
	if want := []priv{limit, member, admin, grant}; !slices.Equal(missing, want) {
		t.Errorf("missing: got %v, want %v", missing, want)
	}
	if _, extra := diffPrivs(nil, all); !slices.Equal(extra, []priv{grant, admin, member, limit}) {
		t.Errorf("extra: got %v, want %v", extra, []priv{grant, admin, member, limit})
	}
}

// TestClassifyRefusedStatements: refused statements are never exit 1.
func TestClassifyRefusedStatements(t *testing.T) {
	tests := []struct {
		code string
		want int
	}{
		{"42501", core.ExitUsage},    // insufficient privilege
		{"42704", core.ExitConflict}, // role does not exist
		{"42710", core.ExitConflict}, // role already exists
		{"2BP01", core.ExitConflict}, // dependent objects
		{"40P01", core.ExitConflict}, // deadlock
	}
	for _, tc := range tests {
		if got := core.ExitCode(classify(&pgconn.PgError{Code: tc.code, Message: "m"})); got != tc.want {
			t.Errorf("SQLSTATE %s: got exit %d, want %d", tc.code, got, tc.want)
		}
	}
}
