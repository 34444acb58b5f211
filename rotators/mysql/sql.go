package mysql

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// server is what SELECT VERSION() says.
type server struct {
	mariadb             bool
	major, minor, patch int
	version             string
}

func parseVersion(v string) server {
	s := server{version: v, mariadb: strings.Contains(strings.ToLower(v), "mariadb")}
	num, _, _ := strings.Cut(v, "-")
	parts := strings.SplitN(num, ".", 3)
	nums := []*int{&s.major, &s.minor, &s.patch}
	for i, p := range parts {
		*nums[i], _ = strconv.Atoi(p)
	}
	return s
}

// dual reports whether the server has dual passwords (RETAIN CURRENT
// PASSWORD / DISCARD OLD PASSWORD): MySQL 8.0.14 and later, never MariaDB.
func (s server) dual() bool {
	if s.mariadb {
		return false
	}
	return s.major > 8 || s.major == 8 && (s.minor > 0 || s.patch >= 14)
}

func (s server) name() string {
	if s.mariadb {
		return "MariaDB " + s.version
	}
	return "MySQL " + s.version
}

// account is 'user'@'host'.
type account struct{ user, host string }

// String quotes both parts as string literals, safe for any name.
func (a account) String() string { return quote(a.user) + "@" + quote(a.host) }

// shown is how SHOW GRANTS writes the account: `user`@`host`.
func (a account) shown() string { return backtick(a.user) + "@" + backtick(a.host) }

// quote makes a string literal. The session runs without
// NO_BACKSLASH_ESCAPES (connect sees to it), so backslash escapes hold; NUL,
// newlines and ^Z are escaped too, so the literal is one clean line.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `''`, "\x00", `\0`, "\n", `\n`, "\r", `\r`, "\x1a", `\Z`)
	return "'" + r.Replace(s) + "'"
}

// backtick quotes an identifier the way the server prints it.
func backtick(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// nativeHash is the mysql_native_password hash MariaDB stores: "*" and
// the upper-case hex of SHA1(SHA1(password)).
func nativeHash(password string) string {
	a := sha1.Sum([]byte(password))
	b := sha1.Sum(a[:])
	return "*" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// pwChange is one password change: which account, to what, and how.
type pwChange struct {
	acct     account
	self     bool   // logged in as the account itself, not as an admin
	password string // the new password
	current  string // the password logged in with (self on MySQL: REPLACE)
	retain   bool   // dual: keep the current password as the secondary one
	unlock   bool   // also ACCOUNT UNLOCK (a clone created locked)
}

// setPassword returns the statement and its printable form (password and
// hash replaced by [REDACTED]).
func setPassword(srv server, ch pwChange) (stmt, shown string, err error) {
	if ch.retain && !srv.dual() {
		return "", "", noDual(srv)
	}
	if srv.mariadb {
		return mariadbPassword(ch)
	}
	target := ch.acct.String()
	if ch.self {
		target = "CURRENT_USER()"
	}
	stmt = "ALTER USER " + target + " IDENTIFIED BY " + quote(ch.password)
	shown = "ALTER USER " + target + " IDENTIFIED BY " + core.Redacted
	var tail string
	if ch.self {
		stmt += " REPLACE " + quote(ch.current)
		shown += " REPLACE " + core.Redacted
	}
	if ch.retain {
		tail += " RETAIN CURRENT PASSWORD"
	}
	if ch.unlock {
		tail += " ACCOUNT UNLOCK"
	}
	return stmt + tail, shown + tail, nil
}

// mariadbPassword sends the hash, never the password: ALTER USER for an
// admin, SET PASSWORD (which needs no privilege) for the account itself.
func mariadbPassword(ch pwChange) (stmt, shown string, err error) {
	lit := quote(nativeHash(ch.password))
	if ch.self {
		return "SET PASSWORD = " + lit, "SET PASSWORD = " + core.Redacted, nil
	}
	head := "ALTER USER " + ch.acct.String() + " IDENTIFIED BY PASSWORD "
	tail := ""
	if ch.unlock {
		tail = " ACCOUNT UNLOCK"
	}
	return head + lit + tail, head + core.Redacted + tail, nil
}

// discardOld is the dual revoke: the secondary password stops working.
func discardOld(srv server, acct account, self bool) (string, error) {
	if !srv.dual() {
		return "", noDual(srv)
	}
	if self {
		return "ALTER USER CURRENT_USER() DISCARD OLD PASSWORD", nil
	}
	return "ALTER USER " + acct.String() + " DISCARD OLD PASSWORD", nil
}

func noDual(srv server) error {
	return fmt.Errorf("%w: strategy dual needs dual passwords (ALTER USER ... RETAIN CURRENT PASSWORD, MySQL 8.0.14 or later), which %s does not have; nothing was changed: stage the rotation with --strategy single or alternate",
		core.ErrUsage, srv.name())
}
