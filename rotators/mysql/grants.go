package mysql

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Privilege kinds: what one line of SHOW GRANTS can give an account, and
// the account attributes (attrs.go) that change how it behaves.
const (
	kindPriv        = "privilege"              // SELECT ON `db`.*
	kindGrantOption = "grant option"           // WITH GRANT OPTION on an object
	kindRole        = "role"                   // GRANT `r` TO ...
	kindRoleAdmin   = "role with admin option" // GRANT `r` TO ... WITH ADMIN OPTION
	kindDefaultRole = "default role"           // SET DEFAULT ROLE `r` FOR ...
	kindLimit       = "resource limit"         // WITH MAX_QUERIES_PER_HOUR 10
	kindTLS         = "TLS requirement"        // REQUIRE SSL
)

// privilege is one grant held by an account, without the account. Column
// privileges are split per column, so that UPDATE (`a`, `b`) and UPDATE
// (`a`) compare as they should. The authentication clause of SHOW GRANTS is
// never kept: it can hold a password hash.
type privilege struct {
	kind   string
	name   string // SELECT, UPDATE (`a`), ALL PRIVILEGES; the role(s); MAX_... n; REQUIRE ...
	object string // *.*, `db`.*, `db`.`t`, PROCEDURE `db`.`p`
}

func (p privilege) String() string {
	switch p.kind {
	case kindRole, kindDefaultRole, kindLimit, kindTLS:
		return p.kind + " " + p.name
	case kindRoleAdmin:
		return "role " + p.name + " WITH ADMIN OPTION"
	case kindGrantOption:
		return "GRANT OPTION ON " + p.object
	}
	return p.name + " ON " + p.object
}

// grant is the statement that gives p to a. MySQL 8 writes SET DEFAULT ROLE
// ... TO where MariaDB writes FOR.
func (p privilege) grant(srv server, a account) string {
	switch p.kind {
	case kindRole:
		return "GRANT " + p.name + " TO " + a.String()
	case kindRoleAdmin:
		return "GRANT " + p.name + " TO " + a.String() + " WITH ADMIN OPTION"
	case kindDefaultRole:
		return "SET DEFAULT ROLE " + p.name + defaultRoleFor(srv) + a.String()
	case kindGrantOption:
		return "GRANT USAGE ON " + p.object + " TO " + a.String() + " WITH GRANT OPTION"
	case kindLimit:
		return "ALTER USER " + a.String() + " WITH " + p.name
	case kindTLS:
		return "ALTER USER " + a.String() + " " + p.name
	}
	return "GRANT " + p.name + " ON " + p.object + " TO " + a.String()
}

// revoke is the statement that takes p from a. Taking the admin option
// takes the role (MySQL 8 has no REVOKE ADMIN OPTION FOR): a role the
// account keeps is missing too, so it is granted again afterwards.
func (p privilege) revoke(srv server, a account) string {
	switch p.kind {
	case kindRole, kindRoleAdmin:
		return "REVOKE " + p.name + " FROM " + a.String()
	case kindDefaultRole:
		return "SET DEFAULT ROLE NONE" + defaultRoleFor(srv) + a.String()
	case kindGrantOption:
		return "REVOKE GRANT OPTION ON " + p.object + " FROM " + a.String()
	case kindLimit:
		limit, _, _ := strings.Cut(p.name, " ")
		return "ALTER USER " + a.String() + " WITH " + limit + " 0"
	case kindTLS:
		return "ALTER USER " + a.String() + " REQUIRE NONE"
	}
	return "REVOKE " + p.name + " ON " + p.object + " FROM " + a.String()
}

func defaultRoleFor(srv server) string {
	if srv.mariadb {
		return " FOR "
	}
	return " TO "
}

// rank is the order in which privileges are granted, so that each
// statement finds what it depends on: attributes and object privileges,
// then column privileges and grant options, then roles, then the default
// role, which the server refuses for a role not granted yet (MariaDB error
// 1959). Revokes run in the reverse order.
func (p privilege) rank() int {
	switch p.kind {
	case kindLimit, kindTLS:
		return 0
	case kindPriv:
		if strings.Contains(p.name, " (") {
			return 2
		}
		return 1
	case kindGrantOption:
		return 3
	case kindRole, kindRoleAdmin:
		return 4
	}
	return 5 // kindDefaultRole
}

// showGrants reads and parses SHOW GRANTS FOR a.
func showGrants(ctx context.Context, c *conn, a account) ([]privilege, error) {
	rows, err := c.c.QueryContext(ctx, "SHOW GRANTS FOR "+a.String())
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, classify(err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	return parseGrants(lines, a)
}

// parseGrants parses the lines of SHOW GRANTS FOR a (MariaDB and MySQL 8
// print the account as `user`@`host`).
func parseGrants(lines []string, a account) ([]privilege, error) {
	var out []privilege
	for _, line := range lines {
		ps, err := parseGrantLine(line, a)
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

func parseGrantLine(line string, a account) ([]privilege, error) {
	if rest, ok := strings.CutPrefix(line, "SET DEFAULT ROLE "); ok {
		i := indexTop(rest, " FOR "+a.shown())
		if i < 0 {
			return nil, fmt.Errorf("cannot read a SET DEFAULT ROLE line of SHOW GRANTS for %s", a)
		}
		if roles := rest[:i]; roles != "NONE" {
			return []privilege{{kind: kindDefaultRole, name: roles}}, nil
		}
		return nil, nil
	}
	body, ok := strings.CutPrefix(line, "GRANT ")
	i := indexTop(body, " TO "+a.shown())
	if !ok || i < 0 {
		word, _, _ := strings.Cut(line, " ")
		return nil, fmt.Errorf("cannot read a %q line of SHOW GRANTS for %s", word, a)
	}
	what, suffix := body[:i], body[i+len(" TO "+a.shown()):]
	j := indexTop(what, " ON ")
	if j < 0 {
		kind := kindRole
		if indexTop(suffix, "WITH ADMIN OPTION") >= 0 {
			kind = kindRoleAdmin
		}
		var out []privilege
		for _, r := range splitTop(what, ',') {
			out = append(out, privilege{kind: kind, name: r})
		}
		return out, nil
	}
	object := what[j+len(" ON "):]
	var out []privilege
	for _, p := range splitTop(what[:j], ',') {
		out = append(out, expandColumns(p, object)...)
	}
	if indexTop(suffix, "WITH GRANT OPTION") >= 0 {
		out = append(out, privilege{kind: kindGrantOption, object: object})
	}
	return out, nil
}

// expandColumns turns UPDATE (`a`, `b`) into one privilege per column; USAGE
// (no privilege at all) gives none.
func expandColumns(p, object string) []privilege {
	if p == "USAGE" {
		return nil
	}
	name, cols, ok := strings.Cut(p, " (")
	if !ok || !strings.HasSuffix(cols, ")") {
		return []privilege{{kind: kindPriv, name: p, object: object}}
	}
	var out []privilege
	for _, c := range splitTop(strings.TrimSuffix(cols, ")"), ',') {
		out = append(out, privilege{kind: kindPriv, name: name + " (" + c + ")", object: object})
	}
	return out
}

// diffPrivileges returns what want has and have lacks (missing), in the
// order to grant them, and what have has and want lacks (extra), in the
// order to revoke them (rank, then text).
func diffPrivileges(want, have []privilege) (missing, extra []privilege) {
	in := func(list []privilege, p privilege) bool { return slices.Contains(list, p) }
	for _, p := range want {
		if !in(have, p) && !in(missing, p) {
			missing = append(missing, p)
		}
	}
	for _, p := range have {
		if !in(want, p) && !in(extra, p) {
			extra = append(extra, p)
		}
	}
	slices.SortFunc(missing, func(a, b privilege) int { return byRank(a, b, 1) })
	slices.SortFunc(extra, func(a, b privilege) int { return byRank(a, b, -1) })
	return missing, extra
}

// byRank compares by rank (dir -1: highest first), then by text.
func byRank(a, b privilege, dir int) int {
	if d := dir * (a.rank() - b.rank()); d != 0 {
		return d
	}
	return strings.Compare(a.String(), b.String())
}

// indexTop finds sub outside backticks, single quotes and parentheses.
func indexTop(s, sub string) int {
	depth, quote := 0, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0 // a doubled quote closes and reopens: same result
			} else if c == '\\' && quote == '\'' {
				i++
			}
			continue
		case c == '`' || c == '\'':
			quote = c
			continue
		case c == '(':
			depth++
		case c == ')':
			depth--
		}
		if depth == 0 && strings.HasPrefix(s[i:], sub) {
			return i
		}
	}
	return -1
}

// splitTop splits s at sep outside quotes and parentheses, trimming spaces.
func splitTop(s string, sep byte) []string {
	var out []string
	for {
		i := indexTop(s, string(sep))
		if i < 0 {
			return append(out, strings.TrimSpace(s))
		}
		out = append(out, strings.TrimSpace(s[:i]))
		s = s[i+1:]
	}
}
