package postgres

import (
	"strings"
)

// Role-level properties compared besides privileges: they change how a
// session of the role behaves, or whether it may log in at all.
const (
	kindAdmin   = "admin option"     // membership WITH ADMIN OPTION (name: the group role)
	kindSetting = "setting"          // ALTER ROLE ... SET (name: param=value; object: database or "")
	kindLimit   = "connection limit" // name: the limit
	kindValid   = "valid until"      // name: the timestamp (password expiry)
)

// roleLevel says whether a kind belongs to the role itself: a new clone is
// created with these, and they are never grant drift of a new clone.
func roleLevel(kind string) bool {
	switch kind {
	case kindMember, kindAttr, kindAdmin, kindSetting, kindLimit, kindValid:
		return true
	}
	return false
}

// prop says whether p is one of the role properties of this file.
func (p priv) prop() bool { return roleLevel(p.kind) && p.kind != kindMember && p.kind != kindAttr }

// propString names a role-level property in messages.
func (p priv) propString() string {
	switch p.kind {
	case kindAdmin:
		return "ADMIN OPTION on role " + ident(p.name)
	case kindSetting:
		if p.object != "" {
			return "setting " + p.name + " in database " + ident(p.object)
		}
		return "setting " + p.name
	case kindLimit:
		return "CONNECTION LIMIT " + p.name
	}
	return "VALID UNTIL " + p.name
}

// propGrant is the statement that gives role the property p.
func (p priv) propGrant(role string) string {
	switch p.kind {
	case kindAdmin:
		return "GRANT " + ident(p.name) + " TO " + ident(role) + " WITH ADMIN OPTION"
	case kindSetting:
		return setStatement(role, p.object, p.name)
	case kindLimit:
		return "ALTER ROLE " + ident(role) + " CONNECTION LIMIT " + p.name
	}
	return "ALTER ROLE " + ident(role) + " VALID UNTIL " + quoteLiteral(p.name)
}

// propRevoke is the statement that takes p from role.
func (p priv) propRevoke(role string) string {
	switch p.kind {
	case kindAdmin:
		return "REVOKE ADMIN OPTION FOR " + ident(p.name) + " FROM " + ident(role)
	case kindSetting:
		param, _, _ := strings.Cut(p.name, "=")
		return alterRoleIn(role, p.object) + " RESET " + paramName(param)
	case kindLimit:
		return "ALTER ROLE " + ident(role) + " CONNECTION LIMIT -1"
	}
	return "ALTER ROLE " + ident(role) + " VALID UNTIL 'infinity'"
}

// setStatement sets param=value (as pg_db_role_setting holds it) for role.
// A plain value is sent as a literal, which the server stores unchanged. A
// list value with commas or quotes (search_path = "$user", public) would
// become one quoted element that way: it is set in the transaction with
// set_config, which parses it as the server does, and copied FROM CURRENT.
func setStatement(role, db, setting string) string {
	param, value, _ := strings.Cut(setting, "=")
	head := alterRoleIn(role, db) + " SET " + paramName(param)
	if !strings.ContainsAny(value, `,"`) {
		return head + " TO " + quoteLiteral(value)
	}
	return "SELECT set_config(" + quoteLiteral(param) + ", " + quoteLiteral(value) + ", true); " + head + " FROM CURRENT"
}

func alterRoleIn(role, db string) string {
	if db == "" {
		return "ALTER ROLE " + ident(role)
	}
	return "ALTER ROLE " + ident(role) + " IN DATABASE " + ident(db)
}

// paramName quotes each part of a parameter name (custom ones have a dot).
func paramName(param string) string {
	parts := strings.Split(param, ".")
	for i, p := range parts {
		parts[i] = ident(p)
	}
	return strings.Join(parts, ".")
}

// rank orders statements so that each finds what it depends on: role
// properties, memberships, their admin option, then grants and their grant
// option. Revokes run in the reverse order.
func (p priv) rank() int {
	switch p.kind {
	case kindMember:
		return 1
	case kindAdmin:
		return 2
	case kindGrant:
		return 3
	case kindOption:
		return 4
	}
	return 0
}
