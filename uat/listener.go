package uat

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// sniffListener serves TLS, and tells apart a client that speaks plain
// HTTP to the TLS port: that request is answered 400 and recorded, since
// "TLS when the session serves TLS" is a checklist item.
type sniffListener struct {
	net.Listener
	conf    *tls.Config
	onPlain func(*http.Request, []byte)
	conns   chan net.Conn
	done    chan struct{}
	once    sync.Once
}

func newSniffListener(inner net.Listener, conf *tls.Config, onPlain func(*http.Request, []byte)) net.Listener {
	l := &sniffListener{Listener: inner, conf: conf, onPlain: onPlain,
		conns: make(chan net.Conn), done: make(chan struct{})}
	go l.acceptLoop()
	return l
}

func (l *sniffListener) acceptLoop() {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			l.Close()
			return
		}
		go l.sniff(c)
	}
}

// sniff reads the first byte: 0x16 starts a TLS handshake.
func (l *sniffListener) sniff(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	first, err := br.Peek(1)
	_ = c.SetReadDeadline(time.Time{})
	if err != nil {
		c.Close()
		return
	}
	pc := &peekedConn{Conn: c, r: br}
	if first[0] == 0x16 {
		select {
		case l.conns <- tls.Server(pc, l.conf):
		case <-l.done:
			c.Close()
		}
		return
	}
	defer c.Close()
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(req.Body, maxRequestBytes))
	l.onPlain(req, body)
	_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
}

func (l *sniffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *sniffListener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		err = l.Listener.Close()
	})
	return err
}

type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// plainRequest records a plain-HTTP request sent to the TLS session.
func (s *Session) plainRequest(r *http.Request, body []byte) {
	start := time.Now()
	f := &fact{at: start, answeredAt: start, plainHTTP: true, status: http.StatusBadRequest}
	if rt, params := s.catalog.match(r.Method, r.URL.EscapedPath()); rt != nil {
		f.api, f.role, f.ref = rt.api, roleOther, params["orderReference"]
		if rt.role == roleToken {
			f.api = ""
		}
	}
	f.credsInURL = s.credentialsIn(r)
	cw := &captureWriter{header: http.Header{}}
	cw.WriteHeader(http.StatusBadRequest)
	_, _ = cw.body.Write(bytes.TrimSpace([]byte("Client sent an HTTP request to an HTTPS server.")))
	r.RemoteAddr = "plain-http"
	f.ex = s.exchangeOf(f, r, body, cw, start)
	s.record(f)
}
