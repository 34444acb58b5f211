package mysql

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

func servers() (mariadb, mysql8 server) {
	return parseVersion("10.11.19-MariaDB-0+deb12u1-log"), parseVersion("8.0.36")
}

func TestParseVersionDual(t *testing.T) {
	tests := []struct {
		version string
		dual    bool
	}{
		{"10.11.19-MariaDB-0+deb12u1-log", false},
		{"11.4.2-MariaDB", false},
		{"5.7.44-log", false},
		{"8.0.13", false},
		{"8.0.14", true},
		{"8.0.36-0ubuntu0.22.04.1", true},
		{"8.4.0", true},
		{"9.1.0-commercial", true},
	}
	for _, tc := range tests {
		if got := parseVersion(tc.version).dual(); got != tc.dual {
			t.Errorf("parseVersion(%q).dual() = %v, want %v", tc.version, got, tc.dual)
		}
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"app", `'app'`},
		{`it's`, `'it''s'`},
		{`back\slash`, `'back\\slash'`},
		{"nul\x00nl\ncr\r^Z\x1a", `'nul\0nl\ncr\r^Z\Z'`},
		{`x'; DROP USER root; -- \`, `'x''; DROP USER root; -- \\'`},
	}
	for _, tc := range tests {
		if got := quote(tc.in); got != tc.want {
			t.Errorf("quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got, want := (account{user: "we`ird'", host: "10.0.%"}).shown(), "`we``ird'`@`10.0.%`"; got != want {
		t.Errorf("shown() = %s, want %s", got, want)
	}
}

func TestNativeHash(t *testing.T) {
	// What MariaDB stored for IDENTIFIED BY 'p1' (SHOW GRANTS).
	if got, want := nativeHash("p1"), "*9F75CEF7FD0C75DC40611DD8F86B6FFF569BF56D"; got != want {
		t.Errorf("nativeHash(p1) = %s, want %s", got, want)
	}
}

// TestSetPassword covers the statements of every server and strategy,
// MySQL 8's among them: no MySQL 8 server runs in these tests.
func TestSetPassword(t *testing.T) {
	mariadb, mysql8 := servers()
	acct := account{user: "app", host: "%"}
	const pw, cur = `n'e\w`, "old-pw"
	tests := []struct {
		name        string
		srv         server
		ch          pwChange
		stmt, shown string
	}{
		{"mariadb admin", mariadb, pwChange{acct: acct, password: pw},
			"ALTER USER 'app'@'%' IDENTIFIED BY PASSWORD '" + nativeHash(pw) + "'", "ALTER USER 'app'@'%' IDENTIFIED BY PASSWORD [REDACTED]"},
		{"mariadb new clone", mariadb, pwChange{acct: acct, password: pw, unlock: true},
			"ALTER USER 'app'@'%' IDENTIFIED BY PASSWORD '" + nativeHash(pw) + "' ACCOUNT UNLOCK", "ALTER USER 'app'@'%' IDENTIFIED BY PASSWORD [REDACTED] ACCOUNT UNLOCK"},
		{"mariadb self", mariadb, pwChange{acct: acct, password: pw, self: true, current: cur},
			"SET PASSWORD = '" + nativeHash(pw) + "'", "SET PASSWORD = [REDACTED]"},
		{"mysql8 single", mysql8, pwChange{acct: acct, password: pw},
			`ALTER USER 'app'@'%' IDENTIFIED BY 'n''e\\w'`, "ALTER USER 'app'@'%' IDENTIFIED BY [REDACTED]"},
		{"mysql8 dual", mysql8, pwChange{acct: acct, password: pw, retain: true},
			`ALTER USER 'app'@'%' IDENTIFIED BY 'n''e\\w' RETAIN CURRENT PASSWORD`, "ALTER USER 'app'@'%' IDENTIFIED BY [REDACTED] RETAIN CURRENT PASSWORD"},
		{"mysql8 dual self", mysql8, pwChange{acct: acct, password: pw, retain: true, self: true, current: cur},
			`ALTER USER CURRENT_USER() IDENTIFIED BY 'n''e\\w' REPLACE 'old-pw' RETAIN CURRENT PASSWORD`,
			"ALTER USER CURRENT_USER() IDENTIFIED BY [REDACTED] REPLACE [REDACTED] RETAIN CURRENT PASSWORD"},
		{"mysql8 new clone", mysql8, pwChange{acct: acct, password: pw, unlock: true},
			`ALTER USER 'app'@'%' IDENTIFIED BY 'n''e\\w' ACCOUNT UNLOCK`, "ALTER USER 'app'@'%' IDENTIFIED BY [REDACTED] ACCOUNT UNLOCK"},
	}
	for _, tc := range tests {
		stmt, shown, err := setPassword(tc.srv, tc.ch)
		if err != nil || stmt != tc.stmt || shown != tc.shown {
			t.Errorf("%s: got %q, %q, %v\nwant %q, %q", tc.name, stmt, shown, err, tc.stmt, tc.shown)
		}
		if strings.Contains(shown, pw) || strings.Contains(shown, cur) || strings.Contains(shown, nativeHash(pw)) {
			t.Errorf("%s: the printable form %q holds the password or its hash", tc.name, shown)
		}
	}
}

func TestDualRefusedBeforeAnyStatement(t *testing.T) {
	mariadb, mysql8 := servers()
	_, _, err := setPassword(mariadb, pwChange{acct: account{"app", "%"}, password: "x", retain: true})
	if !errors.Is(err, core.ErrUsage) || !strings.Contains(err.Error(), "MariaDB 10.11.19") {
		t.Errorf("dual on MariaDB: got %v, want a usage error naming the server", err)
	}
	if _, err := discardOld(mariadb, account{"app", "%"}, false); !errors.Is(err, core.ErrUsage) {
		t.Errorf("DISCARD OLD PASSWORD on MariaDB: got %v, want a usage error", err)
	}
	for _, tc := range []struct {
		self bool
		want string
	}{{false, "ALTER USER 'app'@'%' DISCARD OLD PASSWORD"}, {true, "ALTER USER CURRENT_USER() DISCARD OLD PASSWORD"}} {
		if got, err := discardOld(mysql8, account{"app", "%"}, tc.self); err != nil || got != tc.want {
			t.Errorf("discardOld(self %v) = %q, %v; want %q", tc.self, got, err, tc.want)
		}
	}
}

func TestClassifyRedactsStatements(t *testing.T) {
	err := classifyServer(&mysql.MySQLError{Number: 1064, Message: "near 'secret-password' at line 1"})
	if strings.Contains(err.Error(), "secret-password") {
		t.Errorf("got %q: a syntax error quoted the statement", err)
	}
	if !errors.Is(classifyServer(&mysql.MySQLError{Number: 1045, Message: "Access denied"}), core.ErrRejected) {
		t.Error("1045 is not ErrRejected")
	}
}

func TestConnectRefusedIsUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	l.Close() // nothing listens there now
	creds := core.Value{}.With("host", "127.0.0.1").With("port", strconv.Itoa(addr.Port)).With("username", "app").With("password", "x")
	if err := (Target{}).Check(t.Context(), creds); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("got %v, want ErrUnavailable", err)
	}
}

// TestClassifyRefusedStatements: a statement the server refuses is a
// permission problem (exit 2) or a state conflict (exit 5), never exit 1;
// access denied means a refused login only when logging in.
func TestClassifyRefusedStatements(t *testing.T) {
	tests := []struct {
		number   uint16
		login    bool
		wantCode int
	}{
		{1959, false, core.ExitConflict}, // MariaDB: role not granted (SET DEFAULT ROLE)
		{3530, false, core.ExitConflict}, // MySQL 8: role not granted
		{1396, false, core.ExitConflict}, // CREATE/ALTER USER failed: account exists or not
		{1141, false, core.ExitConflict}, // no such grant to revoke
		{1146, false, core.ExitConflict}, // table dropped meanwhile
		{1044, false, core.ExitUsage},    // no privilege on the database (mysql.* for SET DEFAULT ROLE)
		{1698, false, core.ExitUsage},    // MariaDB: GRANT role without ADMIN OPTION
		{1045, false, core.ExitUsage},
		{1698, true, core.ExitRejected}, // at login: the credential is refused
		{1045, true, core.ExitRejected},
	}
	for _, tc := range tests {
		err := error(&mysql.MySQLError{Number: tc.number, Message: "m"})
		if tc.login {
			err = classify(err)
		} else {
			err = refused(err)
		}
		if got := core.ExitCode(err); got != tc.wantCode {
			t.Errorf("error %d (login %v): got exit %d, want %d", tc.number, tc.login, got, tc.wantCode)
		}
	}
}
