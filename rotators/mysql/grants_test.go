package mysql

import (
	"slices"
	"testing"
)

func TestParseGrantLine(t *testing.T) {
	app := account{user: "app", host: "%"}
	odd := account{user: "we`ird'\\x", host: "%"}
	tests := []struct {
		name string
		acct account
		line string
		want []string
	}{
		{"usage with password hash", app, "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*9F75CEF7FD0C75DC40611DD8F86B6FFF569BF56D' WITH MAX_QUERIES_PER_HOUR 10", nil},
		{"several with grant option", app, "GRANT SELECT, INSERT, EXECUTE ON `appdb`.* TO `app`@`%` WITH GRANT OPTION",
			[]string{"SELECT ON `appdb`.*", "INSERT ON `appdb`.*", "EXECUTE ON `appdb`.*", "GRANT OPTION ON `appdb`.*"}},
		{"columns", app, "GRANT UPDATE (`a`, `b`) ON `appdb`.`t` TO `app`@`%`", []string{"UPDATE (`a`) ON `appdb`.`t`", "UPDATE (`b`) ON `appdb`.`t`"}},
		{"role", app, "GRANT `r1` TO `app`@`%`", []string{"role `r1`"}},
		{"role with admin option", app, "GRANT `r1` TO `app`@`%` WITH ADMIN OPTION", []string{"role `r1` WITH ADMIN OPTION"}},
		{"mysql 8 roles", app, "GRANT `r1`@`%`,`r2`@`%` TO `app`@`%`", []string{"role `r1`@`%`", "role `r2`@`%`"}},
		{"default role", app, "SET DEFAULT ROLE `r1` FOR `app`@`%`", []string{"default role `r1`"}},
		{"odd name", odd, "GRANT SELECT ON `d`.* TO `we``ird'\\x`@`%`", []string{"SELECT ON `d`.*"}},
		{"object named like a clause", app, "GRANT SELECT ON `a TO b`.`x, y` TO `app`@`%`", []string{"SELECT ON `a TO b`.`x, y`"}},
	}
	for _, tc := range tests {
		ps, err := parseGrantLine(tc.line, tc.acct)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.String())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	if _, err := parseGrantLine("GRANT SELECT ON *.* TO `other`@`%`", app); err == nil {
		t.Error("a line for another account parsed")
	}
}

func TestGrantStatements(t *testing.T) {
	mariadb, mysql8 := servers()
	clone := account{user: "app_clone", host: "%"}
	tests := []struct {
		srv           server
		p             privilege
		grant, revoke string
	}{
		{mariadb, privilege{kindPriv, "SELECT", "`d`.*"}, "GRANT SELECT ON `d`.* TO 'app_clone'@'%'", "REVOKE SELECT ON `d`.* FROM 'app_clone'@'%'"},
		{mariadb, privilege{kindPriv, "UPDATE (`a`)", "`d`.`t`"}, "GRANT UPDATE (`a`) ON `d`.`t` TO 'app_clone'@'%'", "REVOKE UPDATE (`a`) ON `d`.`t` FROM 'app_clone'@'%'"},
		{mariadb, privilege{kindGrantOption, "", "`d`.*"}, "GRANT USAGE ON `d`.* TO 'app_clone'@'%' WITH GRANT OPTION", "REVOKE GRANT OPTION ON `d`.* FROM 'app_clone'@'%'"},
		{mariadb, privilege{kindRole, "`r1`", ""}, "GRANT `r1` TO 'app_clone'@'%'", "REVOKE `r1` FROM 'app_clone'@'%'"},
		{mariadb, privilege{kindRoleAdmin, "`r1`", ""}, "GRANT `r1` TO 'app_clone'@'%' WITH ADMIN OPTION", "REVOKE `r1` FROM 'app_clone'@'%'"},
		{mariadb, privilege{kindDefaultRole, "`r1`", ""}, "SET DEFAULT ROLE `r1` FOR 'app_clone'@'%'", "SET DEFAULT ROLE NONE FOR 'app_clone'@'%'"},
		{mysql8, privilege{kindDefaultRole, "`r1`@`%`,`r2`@`%`", ""}, "SET DEFAULT ROLE `r1`@`%`,`r2`@`%` TO 'app_clone'@'%'", "SET DEFAULT ROLE NONE TO 'app_clone'@'%'"},
		{mariadb, privilege{kindLimit, "MAX_QUERIES_PER_HOUR 10", ""}, "ALTER USER 'app_clone'@'%' WITH MAX_QUERIES_PER_HOUR 10", "ALTER USER 'app_clone'@'%' WITH MAX_QUERIES_PER_HOUR 0"},
		{mysql8, privilege{kindTLS, "REQUIRE X509", ""}, "ALTER USER 'app_clone'@'%' REQUIRE X509", "ALTER USER 'app_clone'@'%' REQUIRE NONE"},
	}
	for _, tc := range tests {
		if got := tc.p.grant(tc.srv, clone); got != tc.grant {
			t.Errorf("grant %s on %s: got %q, want %q", tc.p, tc.srv.name(), got, tc.grant)
		}
		if got := tc.p.revoke(tc.srv, clone); got != tc.revoke {
			t.Errorf("revoke %s on %s: got %q, want %q", tc.p, tc.srv.name(), got, tc.revoke)
		}
	}
}

// TestDiffPrivilegesOrder: what is missing comes in the order the server
// needs it (the default role after its role, columns after objects), what
// is extra in the reverse order, whatever the text order says.
func TestDiffPrivilegesOrder(t *testing.T) {
	sel := privilege{kindPriv, "SELECT", "`d`.*"}
	ins := privilege{kindPriv, "INSERT", "`d`.*"}
	col := privilege{kindPriv, "UPDATE (`a`)", "`d`.`t`"}
	role := privilege{kindRole, "`r`", ""}
	def := privilege{kindDefaultRole, "`r`", ""}
	limit := privilege{kindLimit, "MAX_USER_CONNECTIONS 5", ""}
	tls := privilege{kindTLS, "REQUIRE SSL", ""}
	all := []privilege{def, role, col, sel, ins, tls, limit}
	tests := []struct {
		name                   string
		want, have             []privilege
		wantMissing, wantExtra []privilege
	}{
		{"new clone", all, nil, []privilege{tls, limit, ins, sel, col, role, def}, nil},
		{"everything extra", nil, all, nil, []privilege{def, role, col, ins, sel, tls, limit}},
		{"duplicates and overlap", []privilege{sel, ins, ins}, []privilege{sel, col}, []privilege{ins}, []privilege{col}},
	}
	for _, tc := range tests {
		missing, extra := diffPrivileges(tc.want, tc.have)
		if !slices.Equal(missing, tc.wantMissing) || !slices.Equal(extra, tc.wantExtra) {
			t.Errorf("%s: got missing %v extra %v\nwant missing %v extra %v", tc.name, missing, extra, tc.wantMissing, tc.wantExtra)
		}
	}
}

func TestTLSRequirement(t *testing.T) {
	tests := []struct{ sslType, cipher, issuer, subject, want string }{
		{"", "", "", "", ""},
		{"ANY", "", "", "", "REQUIRE SSL"},
		{"X509", "", "", "", "REQUIRE X509"},
		{"SPECIFIED", "", "/CN=ca", "/CN=app's", "REQUIRE ISSUER '/CN=ca' AND SUBJECT '/CN=app''s'"},
		{"SPECIFIED", "AES256-SHA", "", "", "REQUIRE CIPHER 'AES256-SHA'"},
	}
	for _, tc := range tests {
		if got := tlsRequirement(tc.sslType, tc.cipher, tc.issuer, tc.subject); got != tc.want {
			t.Errorf("tlsRequirement(%q, %q, %q, %q) = %q, want %q", tc.sslType, tc.cipher, tc.issuer, tc.subject, got, tc.want)
		}
	}
}
