package doctor

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
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
		f := p.diagnose(Phases{DNSStarted: true}, err, time.Since(start))
		l.Status, l.Summary, l.Fix = Fail, f.Summary, f.Fix
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
			f := p.diagnose(Phases{Addr: addr, ConnectStarted: true}, err, elapsed)
			info.Attempts = append(info.Attempts, f.Summary)
			l.Fix = f.Fix
			continue
		}
		l.DurationMs = ms(elapsed)
		info.Address = addr
		l.Status, l.Summary = OK, fmt.Sprintf("connected to %s in %s", addr, roundLatency(elapsed))
		return l, conn
	}
	l.DurationMs = ms(time.Since(begin))
	l.Status, l.Summary = Fail, strings.Join(info.Attempts, "; ")
	return l, nil
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
		ServerName: p.serverName(),
		// Verification happens below, by hand, so that a bad certificate is
		// described rather than only refused.
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS12,
	}
	tc := tls.Client(conn, cfg)
	connected := Phases{Addr: conn.RemoteAddr().String(), ConnectStarted: true, Connected: true}
	start := time.Now()
	err := tc.HandshakeContext(ctx)
	elapsed := time.Since(start)
	l.DurationMs = ms(elapsed)
	if err != nil {
		f := p.diagnose(connected, err, elapsed)
		l.Status, l.Summary, l.Fix = Fail, f.Summary, f.Fix
		return l, false
	}
	state := tc.ConnectionState()
	info, err := p.inspect(state)
	l.TLS = info
	if err != nil {
		// Wrapped as Go's TLS client wraps it, so golive run and doctor
		// read the same error.
		f := p.diagnose(connected, &tls.CertificateVerificationError{UnverifiedCertificates: state.PeerCertificates, Err: err}, elapsed)
		info.ChainError = f.Summary
		if !p.opts.InsecureSkipVerify {
			l.Status, l.Summary, l.Fix = Fail, f.Summary, f.Fix
			return l, false
		}
		l.Status = OK
		l.Summary = fmt.Sprintf("%s, %s; certificate NOT verified (insecureSkipVerify): %s", l.TLS.Version, l.TLS.CipherSuite, f.Summary)
		l.Fix = f.Fix
		return l, true
	}
	l.Status = OK
	l.Summary = fmt.Sprintf("%s, %s; certificate for %s, valid until %s (%d days left), chain trusted",
		l.TLS.Version, l.TLS.CipherSuite, strings.Join(l.TLS.SANs, ", "), l.TLS.NotAfter.Format(dateFormat), l.TLS.DaysLeft)
	return l, true
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
			TLSClientConfig: &tls.Config{RootCAs: p.roots, ServerName: p.serverName(), MinVersion: tls.VersionTLS12,
				InsecureSkipVerify: p.opts.InsecureSkipVerify}, //nolint:gosec // staging only, noted in the report
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
	trace := &Trace{}
	req = req.WithContext(WithTrace(ctx, trace))
	start := time.Now()
	resp, err := client.Do(req)
	elapsed := time.Since(start)
	l.DurationMs = ms(elapsed)
	if err != nil {
		f := p.diagnose(trace.Phases(), err, elapsed)
		l.Status, l.Summary, l.Fix = Fail, f.Summary, f.Fix
		return l
	}
	defer resp.Body.Close()
	// The body is read as golive run reads it, so one that breaks is found
	// here too (up to 64 KiB: enough to see a proxy cut it).
	n, bodyErr := io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	l.HTTP = &HTTPInfo{
		Method:      http.MethodGet,
		Status:      resp.StatusCode,
		StatusText:  http.StatusText(resp.StatusCode),
		Server:      resp.Header.Get("Server"),
		ContentType: resp.Header.Get("Content-Type"),
		Location:    resp.Header.Get("Location"),
		LatencyMs:   ms(elapsed),
	}
	if bodyErr != nil {
		w := p.wire(trace.Phases(), bodyErr, time.Since(start))
		w.Status, w.BodyBytes, w.ContentLength = resp.StatusCode, int(n), resp.Header.Get("Content-Length")
		f := Diagnose(w)
		l.Status, l.Summary, l.Fix = Fail, f.Summary, f.Fix
		return l
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

// wire is the record of one of the probe's attempts, for Diagnose. A
// timeout that fired waited the layer's timeout, whatever the clock says.
func (p *probe) wire(phases Phases, err error, elapsed time.Duration) Wire {
	waited := elapsed
	if isTimeout(err) {
		waited = p.opts.Timeout
	}
	return Wire{URL: p.url, Phases: phases, Err: err, Waited: waited, Now: p.opts.Now()}
}

// diagnose is Diagnose of one of the probe's attempts.
func (p *probe) diagnose(phases Phases, err error, elapsed time.Duration) Finding {
	return Diagnose(p.wire(phases, err, elapsed))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
