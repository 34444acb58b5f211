package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Kinds of privilege a role holds, compared between the two users of the
// alternate strategy.
const (
	kindMember = "member"    // membership in a (group) role
	kindAttr   = "attribute" // CREATEDB, CREATEROLE, INHERIT
	kindGrant  = "grant"     // a privilege on an object of the database
	kindOption = "option"    // the grant option of such a privilege
	kindOwner  = "owner"     // objects owned: cannot be shared, only reported
)

// priv is one privilege of a role, without the role.
type priv struct {
	kind   string
	name   string // role, attribute, privilege (SELECT, SELECT (col)); owner: the count
	object string // TABLE public.t, SCHEMA s, DATABASE d, FUNCTION f(integer), SEQUENCE s
}

func (p priv) String() string {
	if p.prop() {
		return p.propString()
	}
	switch p.kind {
	case kindMember:
		return "membership in role " + ident(p.name)
	case kindAttr:
		return "attribute " + p.name
	case kindOption:
		return "grant option for " + p.name + " ON " + p.object
	case kindOwner:
		return "ownership of " + p.name + " objects (owner privileges cannot be shared: make a group role own them)"
	}
	return p.name + " ON " + p.object
}

// grant returns the statement that gives p to role ("" for ownership).
func (p priv) grant(role string) string {
	if p.prop() {
		return p.propGrant(role)
	}
	switch p.kind {
	case kindMember:
		return "GRANT " + ident(p.name) + " TO " + ident(role)
	case kindAttr:
		return "ALTER ROLE " + ident(role) + " " + p.name
	case kindGrant:
		return "GRANT " + p.name + " ON " + p.object + " TO " + ident(role)
	case kindOption:
		return "GRANT " + p.name + " ON " + p.object + " TO " + ident(role) + " WITH GRANT OPTION"
	}
	return ""
}

// revoke returns the statement that takes p from role ("" for ownership).
func (p priv) revoke(role string) string {
	if p.prop() {
		return p.propRevoke(role)
	}
	switch p.kind {
	case kindMember:
		return "REVOKE " + ident(p.name) + " FROM " + ident(role)
	case kindAttr:
		return "ALTER ROLE " + ident(role) + " NO" + p.name
	case kindGrant:
		return "REVOKE " + p.name + " ON " + p.object + " FROM " + ident(role)
	case kindOption:
		return "REVOKE GRANT OPTION FOR " + p.name + " ON " + p.object + " FROM " + ident(role)
	}
	return ""
}

// privilegesQuery lists a role's privileges in the current database:
// memberships (and their admin option), attributes, settings (ALTER ROLE
// ... SET, for every database), connection limit and VALID UNTIL, explicit
// grants on relations, columns, schemas, the database and functions
// (aclexplode of the catalogs' ACLs), and the number of objects it owns. Object names come quoted from regclass,
// regprocedure and quote_ident.
const privilegesQuery = `
WITH r AS (SELECT oid, rolcreatedb, rolcreaterole, rolinherit, rolconnlimit, rolvaliduntil FROM pg_roles WHERE rolname = $1),
acl AS (
  SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE ' ELSE 'TABLE ' END || c.oid::regclass::text AS object,
         a.privilege_type AS name, a.is_grantable, a.grantee
  FROM pg_class c, aclexplode(c.relacl) a
  UNION ALL
  SELECT 'TABLE ' || c.oid::regclass::text, a.privilege_type || ' (' || quote_ident(t.attname) || ')', a.is_grantable, a.grantee
  FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid, aclexplode(t.attacl) a
  UNION ALL
  SELECT 'SCHEMA ' || quote_ident(n.nspname), a.privilege_type, a.is_grantable, a.grantee FROM pg_namespace n, aclexplode(n.nspacl) a
  UNION ALL
  SELECT 'DATABASE ' || quote_ident(d.datname), a.privilege_type, a.is_grantable, a.grantee
  FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = current_database()
  UNION ALL
  SELECT 'FUNCTION ' || p.oid::regprocedure::text, a.privilege_type, a.is_grantable, a.grantee FROM pg_proc p, aclexplode(p.proacl) a
)
SELECT 'grant', name, object FROM acl, r WHERE acl.grantee = r.oid
UNION ALL SELECT 'option', name, object FROM acl, r WHERE acl.grantee = r.oid AND acl.is_grantable
UNION ALL SELECT 'member', g.rolname, '' FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid, r WHERE m.member = r.oid
UNION ALL SELECT 'attribute', 'CREATEDB', '' FROM r WHERE rolcreatedb
UNION ALL SELECT 'attribute', 'CREATEROLE', '' FROM r WHERE rolcreaterole
UNION ALL SELECT 'attribute', 'INHERIT', '' FROM r WHERE rolinherit
UNION ALL SELECT 'admin option', g.rolname, '' FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid, r WHERE m.member = r.oid AND m.admin_option
UNION ALL SELECT 'setting', c, COALESCE(d.datname, '') FROM pg_db_role_setting s LEFT JOIN pg_database d ON d.oid = s.setdatabase, r, unnest(s.setconfig) c WHERE s.setrole = r.oid
UNION ALL SELECT 'connection limit', rolconnlimit::text, '' FROM r WHERE rolconnlimit <> -1
UNION ALL SELECT 'valid until', rolvaliduntil::text, '' FROM r WHERE rolvaliduntil <> 'infinity'
UNION ALL SELECT 'owner', n::text, '' FROM (
  SELECT (SELECT count(*) FROM pg_class c, r WHERE c.relowner = r.oid AND c.relkind IN ('r','v','m','S','f','p'))
       + (SELECT count(*) FROM pg_namespace s, r WHERE s.nspowner = r.oid)
       + (SELECT count(*) FROM pg_proc p, r WHERE p.proowner = r.oid) AS n) o WHERE n > 0`

// querier is what privileges needs of a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// privileges reads a role's privileges (none when the role does not exist).
func privileges(ctx context.Context, q querier, role string) ([]priv, error) {
	rows, err := q.Query(ctx, privilegesQuery, role)
	if err != nil {
		return nil, classify(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (priv, error) {
		var p priv
		return p, r.Scan(&p.kind, &p.name, &p.object)
	})
	if err != nil {
		return nil, classify(err)
	}
	return out, nil
}

// diffPrivs returns what want has and have lacks (missing), in the order
// to grant them, and what have has and want lacks (extra), in the order to
// revoke them (see rank).
func diffPrivs(want, have []priv) (missing, extra []priv) {
	for _, p := range want {
		if !slices.Contains(have, p) && !slices.Contains(missing, p) {
			missing = append(missing, p)
		}
	}
	for _, p := range have {
		if !slices.Contains(want, p) && !slices.Contains(extra, p) {
			extra = append(extra, p)
		}
	}
	slices.SortFunc(missing, func(a, b priv) int { return byRank(a, b, 1) })
	slices.SortFunc(extra, func(a, b priv) int { return byRank(a, b, -1) })
	return missing, extra
}

// byRank compares by rank (dir -1: highest first), then by text.
func byRank(a, b priv, dir int) int {
	if d := dir * (a.rank() - b.rank()); d != 0 {
		return d
	}
	return strings.Compare(a.String(), b.String())
}

// driftError reports grant drift between the two roles of the pair.
func driftError(user, partner string, missing, extra []priv, reconcilable bool) error {
	hint := fmt.Sprintf("make them match, or run deploy with --reconcile-grants to make %s match %s", ident(user), ident(partner))
	if !reconcilable {
		hint = "ownership cannot be reconciled: make a group role that both belong to own those objects"
	}
	return fmt.Errorf("%w: grant drift: the privileges of role %s differ from those of %s, which applications use now: %s; %s",
		core.ErrConflict, ident(user), ident(partner), describeDiff(ident(user), missing, extra), hint)
}

// describeDiff says what who lacks and has in addition.
func describeDiff(who string, missing, extra []priv) string {
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("%s lacks %s", who, joinPrivs(missing)))
	}
	if len(extra) > 0 {
		parts = append(parts, fmt.Sprintf("%s has in addition %s", who, joinPrivs(extra)))
	}
	return strings.Join(parts, "; ")
}

func joinPrivs(ps []priv) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	return strings.Join(names, ", ")
}
