package doctor

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// resolve is the DNS layer: the addresses of the host.
func (p *probe) resolve() (Layer, []string) {
	l := Layer{Name: "dns"}
	if ip := net.ParseIP(p.host); ip != nil {
		l.Status, l.Summary = Skipped, p.host+" is an IP address: nothing to resolve"
		l.DNS = &DNSInfo{Addresses: []string{ip.String()}}
		return l, l.DNS.Addresses
	}
	ctx, cancel := context.WithTimeout(p.ctx, p.opts.Timeout)
	defer cancel()
	start := time.Now()
	ips, err := p.opts.Lookup(ctx, p.host)
	l.DurationMs = ms(time.Since(start))
	if err == nil && len(ips) == 0 {
		err = &net.DNSError{Err: "no addresses", Name: p.host, IsNotFound: true}
	}
	if err != nil {
		l.Status, l.Summary = Fail, describeLookup(p.host, err)
		l.Fix = "Check the host name for typos, and ask the partner whether it is public or resolves only inside their network or VPN " +
			"(then golive must run from there)."
		return l, nil
	}
	var addrs []string
	for _, ip := range ips {
		addrs = append(addrs, ip.IP.String())
	}
	l.Status, l.DNS = OK, &DNSInfo{Addresses: addrs}
	l.Summary = fmt.Sprintf("%s resolves to %s", p.host, strings.Join(addrs, ", "))
	return l, addrs
}

func describeLookup(host string, err error) string {
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return host + " does not resolve (no such host)"
	case errors.As(err, &dnsErr) && dnsErr.IsTimeout, errors.Is(err, context.DeadlineExceeded):
		return "the DNS lookup of " + host + " timed out"
	}
	return fmt.Sprintf("the DNS lookup of %s failed: %v", host, err)
}

// connect is the TCP layer: the first address that accepts, in DNS order.
// The connection is kept for the TLS layer.
func (p *probe) connect(addrs []string, dnsOK bool) (Layer, net.Conn) {
	l := Layer{Name: "tcp"}
	if !dnsOK || len(addrs) == 0 {
		l.Status, l.Summary = Skipped, "the host name did not resolve"
		return l, nil
	}
	info := &TCPInfo{}
	l.TCP = info
	d := net.Dialer{Timeout: p.opts.Timeout}
	begin := time.Now()
	for _, a := range addrs {
		addr := net.JoinHostPort(a, p.port)
		start := time.Now()
		conn, err := d.DialContext(p.ctx, "tcp", addr)
		elapsed := time.Since(start)
		if err != nil {
			info.Attempts = append(info.Attempts, describeDial(addr, err, elapsed))
			continue
		}
		l.DurationMs = ms(elapsed)
		info.Address = addr
		l.Status, l.Summary = OK, fmt.Sprintf("connected to %s in %s", addr, roundLatency(elapsed))
		return l, conn
	}
	l.DurationMs = ms(time.Since(begin))
	l.Status, l.Summary = Fail, strings.Join(info.Attempts, "; ")
	l.Fix = "Check the port, that the partner's service is listening, and that firewalls and allow-lists let in the address golive runs from."
	return l, nil
}

func describeDial(addr string, err error, elapsed time.Duration) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "TCP connect to " + addr + " refused"
	case isTimeout(err):
		return fmt.Sprintf("TCP connect to %s timed out after %s", addr, roundLatency(elapsed))
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "TCP connect to " + addr + " failed: no route to the host"
	}
	return fmt.Sprintf("TCP connect to %s failed: %v", addr, err)
}

// handshake is the TLS layer. It completes the handshake whatever the
// certificate, so it can describe the certificate, then judges the chain
// the way golive run does (system roots plus --ca-file, the URL's host).
func (p *probe) handshake(conn net.Conn, tcpOK bool) (Layer, bool) {
	l := Layer{Name: "tls"}
	switch {
	case p.url.Scheme != "https":
		l.Status, l.Summary = Skipped, "http:// URL: no TLS (requests and credentials travel unencrypted)"
		return l, true
	case !tcpOK:
		l.Status, l.Summary = Skipped, "no TCP connection"
		return l, false
	}
	ctx, cancel := context.WithTimeout(p.ctx, p.opts.Timeout)
	defer cancel()
	cfg := &tls.Config{
		ServerName: sni(p.host),
		// Verification happens below, by hand, so that a bad certificate is
		// described rather than only refused.
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS12,
	}
	tc := tls.Client(conn, cfg)
	start := time.Now()
	err := tc.HandshakeContext(ctx)
	l.DurationMs = ms(time.Since(start))
	if err != nil {
		l.Status, l.Summary = Fail, describeHandshake(err, net.JoinHostPort(p.host, p.port), p.opts.Timeout)
		l.Fix = "Ask the partner to serve TLS 1.2 or later with a certificate for " + p.host + " on port " + p.port + "."
		return l, false
	}
	l.TLS = p.inspect(tc.ConnectionState())
	if !l.TLS.ChainValid {
		l.Status, l.Summary = Fail, l.TLS.ChainError
		l.Fix = certFix(l.TLS.ChainError)
		return l, false
	}
	l.Status = OK
	l.Summary = fmt.Sprintf("%s, %s; certificate for %s, valid until %s (%d days left), chain trusted",
		l.TLS.Version, l.TLS.CipherSuite, strings.Join(l.TLS.SANs, ", "), l.TLS.NotAfter.Format(dateFormat), l.TLS.DaysLeft)
	return l, true
}

// sni is the server name sent in the handshake: none for an IP address.
func sni(host string) string {
	if net.ParseIP(host) != nil {
		return ""
	}
	return host
}

func describeHandshake(err error, addr string, timeout time.Duration) string {
	msg := err.Error()
	switch {
	case isTimeout(err):
		return fmt.Sprintf("the TLS handshake with %s did not finish within %s", addr, timeout)
	case strings.Contains(msg, "protocol version not supported"), strings.Contains(msg, "unsupported protocol version"):
		return "no TLS version in common: " + addr + " does not offer TLS 1.2 or 1.3"
	case strings.Contains(msg, "first record does not look like a TLS handshake"):
		return addr + " did not answer with TLS (it may speak plain HTTP: try http://)"
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
		return addr + " closed the connection during the TLS handshake"
	}
	return fmt.Sprintf("the TLS handshake with %s failed: %s", addr, strings.TrimPrefix(msg, "tls: "))
}

// request is the HTTP layer: one GET of the URL, over a connection to the
// address the TCP layer reached, trusting what golive run trusts.
func (p *probe) request(tcp, tlsLayer Layer, tlsOK bool) Layer {
	l := Layer{Name: "http"}
	switch {
	case tcp.Status != OK:
		l.Status, l.Summary = Skipped, "no TCP connection"
		return l
	case !tlsOK:
		l.Status, l.Summary = Skipped, "the TLS layer failed: golive sends no request over a connection it cannot trust"
		return l
	}
	addr := tcp.TCP.Address
	dialer := &net.Dialer{Timeout: p.opts.Timeout}
	client := &http.Client{
		Transport: &http.Transport{
			// The address the TCP layer reached, whatever DNS says now.
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, network, addr)
			},
			TLSClientConfig:       &tls.Config{RootCAs: p.roots.pool, ServerName: sni(p.host), MinVersion: tls.VersionTLS12},
			ResponseHeaderTimeout: p.opts.Timeout,
			DisableKeepAlives:     true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	ctx, cancel := context.WithTimeout(p.ctx, p.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url.String(), nil)
	if err != nil {
		l.Status, l.Summary = Fail, "the request could not be built: "+err.Error()
		return l
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "golive-doctor")
	start := time.Now()
	resp, err := client.Do(req)
	elapsed := time.Since(start)
	l.DurationMs = ms(elapsed)
	if err != nil {
		l.Status, l.Summary = Fail, describeHTTPError(err, p.opts.Timeout)
		l.Fix = "The target accepts connections but does not answer HTTP: ask the partner's operations team to check the service behind " + addr + "."
		return l
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	l.HTTP = &HTTPInfo{
		Method:      http.MethodGet,
		Status:      resp.StatusCode,
		StatusText:  http.StatusText(resp.StatusCode),
		Server:      resp.Header.Get("Server"),
		ContentType: resp.Header.Get("Content-Type"),
		Location:    resp.Header.Get("Location"),
		LatencyMs:   ms(elapsed),
	}
	l.Status = OK
	l.Summary = fmt.Sprintf("GET %s answered %d %s in %s", p.url.RequestURI(), resp.StatusCode, http.StatusText(resp.StatusCode), roundLatency(elapsed))
	if l.HTTP.Server != "" {
		l.Summary += " (server: " + oneLine(l.HTTP.Server) + ")"
	}
	if l.HTTP.Location != "" {
		l.Summary += "; redirects to " + oneLine(l.HTTP.Location) + ", which golive does not follow"
	}
	return l
}

func describeHTTPError(err error, timeout time.Duration) string {
	switch {
	case isTimeout(err):
		return fmt.Sprintf("connected, but no response headers within %s", timeout)
	case errors.Is(err, syscall.ECONNRESET):
		return "the connection was reset before any response"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the target closed the connection without answering (EOF)"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, "\": "); i >= 0 {
		msg = msg[i+3:] // drop net/http's `Get "URL": `
	}
	return "the request failed: " + msg
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// roundLatency keeps loopback times readable: 0.42ms, 12ms, 1.2s.
func roundLatency(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d < time.Second:
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
