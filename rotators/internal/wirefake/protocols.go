package wirefake

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"strings"
)

// postgres answers an SSLRequest with N (no TLS), asks for the password in
// clear (AuthenticationCleartextPassword), which libpq and pgx send, records
// it and refuses the login.
func postgres(rw *bufio.ReadWriter) []Login {
	msg, ok := pgBody(rw)
	if ok && binary.BigEndian.Uint32(msg) == 80877103 { // SSLRequest
		rw.WriteByte('N')
		rw.Flush()
		msg, ok = pgBody(rw)
	}
	if !ok || len(msg) < 4 {
		return nil
	}
	var in Login
	params := strings.Split(string(msg[4:]), "\x00")
	for i := 0; i+1 < len(params); i += 2 {
		if params[i] == "user" {
			in.User = params[i+1]
		}
	}
	rw.Write([]byte{'R', 0, 0, 0, 8, 0, 0, 0, 3})
	rw.Flush()
	typ, err := rw.ReadByte()
	body, ok := pgBody(rw)
	if err == nil && ok && typ == 'p' {
		in.Password = strings.TrimSuffix(string(body), "\x00")
	}
	fields := "SFATAL\x00C28P01\x00Mpassword authentication failed\x00\x00"
	e := binary.BigEndian.AppendUint32([]byte{'E'}, uint32(4+len(fields)))
	rw.Write(append(e, fields...))
	rw.Flush()
	return []Login{in}
}

// pgBody reads a length-prefixed message body (the length counts itself).
func pgBody(r io.Reader) ([]byte, bool) {
	var n uint32
	if binary.Read(r, binary.BigEndian, &n) != nil || n < 4 || n > 1<<16 {
		return nil, false
	}
	b := make([]byte, n-4)
	_, err := io.ReadFull(r, b)
	return b, err == nil
}

// mysql sends a protocol-10 greeting without TLS, reads the handshake
// response for its user name (the password comes as a scramble) and refuses
// the login with error 1045.
func mysql(rw *bufio.ReadWriter) []Login {
	g := []byte{10}
	g = append(g, "5.5.5-10.11.0-wirefake\x00"...)
	g = append(g, 1, 0, 0, 0)                                     // connection id
	g = append(g, "abcdefgh\x00"...)                              // auth data part 1, filler
	caps := uint32(1 | 8 | 0x200 | 0x8000 | 0x80000)              // long password, with db, 4.1, secure conn, plugin auth
	g = append(g, byte(caps), byte(caps>>8), 0x21, 2, 0)          // caps low, charset, status
	g = append(g, byte(caps>>16), byte(caps>>24), 21)             // caps high, auth data length
	g = append(g, make([]byte, 10)...)                            // reserved
	g = append(g, "ijklmnopqrst\x00mysql_native_password\x00"...) // auth data part 2, plugin
	mysqlWrite(rw, 0, g)
	resp, ok := mysqlRead(rw)
	if !ok || len(resp) < 33 {
		return nil
	}
	user, _, _ := bytes.Cut(resp[32:], []byte{0})
	mysqlWrite(rw, 2, append([]byte{0xff, 0x15, 0x04}, "#28000Access denied"...))
	return []Login{{User: string(user)}}
}

func mysqlWrite(w *bufio.ReadWriter, seq byte, p []byte) {
	w.Write([]byte{byte(len(p)), byte(len(p) >> 8), byte(len(p) >> 16), seq})
	w.Write(p)
	w.Flush()
}

func mysqlRead(r io.Reader) ([]byte, bool) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, false
	}
	b := make([]byte, int(h[0])|int(h[1])<<8|int(h[2])<<16)
	_, err := io.ReadFull(r, b)
	return b, err == nil
}

// redis reads up to 8 RESP commands, records the user and password of each
// AUTH (or HELLO ... AUTH) and answers it WRONGPASS; other commands get
// NOAUTH.
func redis(rw *bufio.ReadWriter) []Login {
	var out []Login
	for range 8 {
		args, ok := respArray(rw.Reader)
		if !ok || len(args) == 0 {
			return out
		}
		cmd := strings.ToUpper(args[0])
		if cmd == "HELLO" && len(args) >= 5 && strings.ToUpper(args[2]) == "AUTH" {
			args, cmd = []string{"AUTH", args[3], args[4]}, "AUTH"
		}
		if cmd != "AUTH" {
			rw.WriteString("-NOAUTH Authentication required.\r\n")
			rw.Flush()
			continue
		}
		in := Login{Password: args[len(args)-1]}
		if len(args) == 3 {
			in.User = args[1]
		}
		out = append(out, in)
		rw.WriteString("-WRONGPASS invalid username-password pair or user is disabled.\r\n")
		rw.Flush()
	}
	return out
}

func respArray(r *bufio.Reader) ([]string, bool) {
	n, ok := respLen(r, '*')
	if !ok || n > 64 {
		return nil, false
	}
	out := make([]string, 0, n)
	for range n {
		l, ok := respLen(r, '$')
		if !ok || l > 1<<16 {
			return nil, false
		}
		b := make([]byte, l+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, false
		}
		out = append(out, string(b[:l]))
	}
	return out, true
}

func respLen(r *bufio.Reader, kind byte) (int, bool) {
	line, err := r.ReadString('\n')
	if err != nil || len(line) < 3 || line[0] != kind {
		return 0, false
	}
	n := 0
	for _, c := range strings.TrimSpace(line[1:]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
