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
	clone := account{user: "app_clone", host: "%"}
	tests := []struct {
		p             privilege
		grant, revoke string
	}{
		{privilege{kindPriv, "SELECT", "`d`.*"}, "GRANT SELECT ON `d`.* TO 'app_clone'@'%'", "REVOKE SELECT ON `d`.* FROM 'app_clone'@'%'"},
		{privilege{kindPriv, "UPDATE (`a`)", "`d`.`t`"}, "GRANT UPDATE (`a`) ON `d`.`t` TO 'app_clone'@'%'", "REVOKE UPDATE (`a`) ON `d`.`t` FROM 'app_clone'@'%'"},
		{privilege{kindGrantOption, "", "`d`.*"}, "GRANT USAGE ON `d`.* TO 'app_clone'@'%' WITH GRANT OPTION", "REVOKE GRANT OPTION ON `d`.* FROM 'app_clone'@'%'"},
		{privilege{kindRole, "`r1`", ""}, "GRANT `r1` TO 'app_clone'@'%'", "REVOKE `r1` FROM 'app_clone'@'%'"},
		{privilege{kindDefaultRole, "`r1`", ""}, "SET DEFAULT ROLE `r1` FOR 'app_clone'@'%'", "SET DEFAULT ROLE NONE FOR 'app_clone'@'%'"},
	}
	for _, tc := range tests {
		if got := tc.p.grant(clone); got != tc.grant {
			t.Errorf("grant %s: got %q, want %q", tc.p, got, tc.grant)
		}
		if got := tc.p.revoke(clone); got != tc.revoke {
			t.Errorf("revoke %s: got %q, want %q", tc.p, got, tc.revoke)
		}
	}
}

func TestDiffPrivileges(t *testing.T) {
	sel := privilege{kindPriv, "SELECT", "`d`.*"}
	ins := privilege{kindPriv, "INSERT", "`d`.*"}
	upd := privilege{kindPriv, "UPDATE (`a`)", "`d`.`t`"}
	missing, extra := diffPrivileges([]privilege{sel, ins, ins}, []privilege{sel, upd})
	if !slices.Equal(missing, []privilege{ins}) || !slices.Equal(extra, []privilege{upd}) {
		t.Errorf("got missing %v extra %v, want [%v] and [%v]", missing, extra, ins, upd)
	}
}
