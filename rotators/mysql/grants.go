package mysql

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Privilege kinds: what one line of SHOW GRANTS can give an account.
const (
	kindPriv        = "privilege"    // SELECT ON `db`.*
	kindGrantOption = "grant option" // WITH GRANT OPTION on an object
	kindRole        = "role"         // GRANT `r` TO ...
	kindDefaultRole = "default role" // SET DEFAULT ROLE `r` FOR ...
)

// privilege is one grant held by an account, without the account. Column
// privileges are split per column, so that UPDATE (`a`, `b`) and UPDATE
// (`a`) compare as they should. Resource limits, TLS requirements and the
// authentication clause are not privileges and are left out (never kept:
// SHOW GRANTS can print a password hash there).
type privilege struct {
	kind   string
	name   string // SELECT, UPDATE (`a`), ALL PRIVILEGES; the role(s) for role kinds
	object string // *.*, `db`.*, `db`.`t`, PROCEDURE `db`.`p`
}

func (p privilege) String() string {
	switch p.kind {
	case kindRole, kindDefaultRole:
		return p.kind + " " + p.name
	case kindGrantOption:
		return "GRANT OPTION ON " + p.object
	}
	return p.name + " ON " + p.object
}

// grant is the statement that gives p to a.
func (p privilege) grant(a account) string {
	switch p.kind {
	case kindRole:
		return "GRANT " + p.name + " TO " + a.String()
	case kindDefaultRole:
		return "SET DEFAULT ROLE " + p.name + " FOR " + a.String()
	case kindGrantOption:
		return "GRANT USAGE ON " + p.object + " TO " + a.String() + " WITH GRANT OPTION"
	}
	return "GRANT " + p.name + " ON " + p.object + " TO " + a.String()
}

// revoke is the statement that takes p from a.
func (p privilege) revoke(a account) string {
	switch p.kind {
	case kindRole:
		return "REVOKE " + p.name + " FROM " + a.String()
	case kindDefaultRole:
		return "SET DEFAULT ROLE NONE FOR " + a.String()
	case kindGrantOption:
		return "REVOKE GRANT OPTION ON " + p.object + " FROM " + a.String()
	}
	return "REVOKE " + p.name + " ON " + p.object + " FROM " + a.String()
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
		var out []privilege
		for _, r := range splitTop(what, ',') {
			out = append(out, privilege{kind: kindRole, name: r})
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

// diffPrivileges returns what want has and have lacks (missing), and what
// have has and want lacks (extra), each sorted.
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
	byText := func(a, b privilege) int { return strings.Compare(a.String(), b.String()) }
	slices.SortFunc(missing, byText)
	slices.SortFunc(extra, byText)
	return missing, extra
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
