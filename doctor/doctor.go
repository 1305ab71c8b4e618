// Package doctor checks, layer by layer, whether a target URL can be reached
// the way golive reaches it: DNS resolution, the TCP connect, the TLS
// handshake and certificate, and one HTTP request. Each layer gets a verdict
// (ok, fail, or skipped and why), and the report lists the commands a
// partner can run to see the same thing from their side (nslookup, nc,
// telnet, openssl s_client, curl -v). It knows nothing about specs, suites
// or reports: `golive doctor` is a thin command over Probe.
//
// It is also home to golive's one network diagnosis (Diagnose, over a plain
// Wire record), which golive run uses for every exchange that breaks, so that
// a run and doctor never disagree about the same endpoint.
package doctor

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Schema is the version tag of the JSON report.
const Schema = "golive.doctor/v1"

// Status is one layer's verdict.
type Status string

const (
	OK      Status = "ok"
	Fail    Status = "fail"
	Skipped Status = "skipped" // not checked; Summary says why
)

// Report is what Probe found.
type Report struct {
	Schema string `json:"schema"`
	URL    string `json:"url"`
	Host   string `json:"host"`
	Port   string `json:"port"`
	// Reachable is true when the HTTP request got an answer, whatever its
	// status: the target can be certified (a 503 is then a system issue
	// that golive run reports, not a connection one).
	Reachable bool      `json:"reachable"`
	Verdict   string    `json:"verdict"`
	Layers    []Layer   `json:"layers"`
	Notes     []string  `json:"notes,omitempty"`
	Commands  []Command `json:"commands"`
	CheckedAt time.Time `json:"checkedAt"`
}

// Layer is one layer's verdict and what was seen there.
type Layer struct {
	Name    string `json:"layer"` // dns, tcp, tls, http
	Status  Status `json:"status"`
	Summary string `json:"summary"`       // what was found, or why it failed or was skipped
	Fix     string `json:"fix,omitempty"` // for a failure: what to check
	// DurationMs is how long the layer took (fractions show sub-millisecond
	// loopback times).
	DurationMs float64   `json:"durationMs"`
	DNS        *DNSInfo  `json:"dns,omitempty"`
	TCP        *TCPInfo  `json:"tcp,omitempty"`
	TLS        *TLSInfo  `json:"tls,omitempty"`
	HTTP       *HTTPInfo `json:"http,omitempty"`
}

// DNSInfo is what the name resolved to.
type DNSInfo struct {
	Addresses []string `json:"addresses"`
}

// TCPInfo is the connection that was made, or the attempts that failed.
type TCPInfo struct {
	Address  string   `json:"address,omitempty"` // the address that accepted
	Attempts []string `json:"attempts,omitempty"`
}

// TLSInfo describes the handshake and the certificate the target presented.
type TLSInfo struct {
	Version     string    `json:"version"`
	CipherSuite string    `json:"cipherSuite"`
	ServerName  string    `json:"serverName,omitempty"` // SNI sent; empty for an IP address
	Subject     string    `json:"subject"`
	Issuer      string    `json:"issuer"`
	SANs        []string  `json:"sans"`
	NotBefore   time.Time `json:"notBefore"`
	NotAfter    time.Time `json:"notAfter"`
	DaysLeft    int       `json:"daysLeft"`
	Chain       []string  `json:"chain"` // subjects as presented, leaf first
	ChainValid  bool      `json:"chainValid"`
	ChainError  string    `json:"chainError,omitempty"`
}

// HTTPInfo is the answer to the request.
type HTTPInfo struct {
	Method      string  `json:"method"`
	Status      int     `json:"status"`
	StatusText  string  `json:"statusText"`
	Server      string  `json:"server,omitempty"`
	ContentType string  `json:"contentType,omitempty"`
	Location    string  `json:"location,omitempty"` // a redirect, which golive does not follow
	LatencyMs   float64 `json:"latencyMs"`          // request sent to response headers
}

// Command is something the partner can run to check a layer themselves.
type Command struct {
	Layer   string `json:"layer"`
	Purpose string `json:"purpose"`
	Line    string `json:"line"`
}

// Options configure a probe.
type Options struct {
	// CAFile holds PEM certificates trusted in addition to the system's
	// roots (a partner's private CA).
	CAFile string
	// ServerName is the TLS server name sent and verified instead of the
	// URL's host (golive run's certify.Target.ServerName).
	ServerName string
	// InsecureSkipVerify: the run this probe stands for accepts any
	// certificate (staging only). The TLS layer still describes the chain
	// and says why it is not trusted, but does not fail on it, and the
	// report carries a note.
	InsecureSkipVerify bool
	// Timeout bounds each layer (default 10s).
	Timeout time.Duration
	// Lookup resolves host names (default net.DefaultResolver.LookupIPAddr);
	// tests point names at loopback with it.
	Lookup func(ctx context.Context, host string) ([]net.IPAddr, error)
	// Now is the clock certificates are judged by (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Lookup == nil {
		o.Lookup = net.DefaultResolver.LookupIPAddr
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// ParseURL checks that raw is an absolute http(s) URL without credentials,
// the kind golive run takes as --target.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("%q: want an absolute http(s) URL such as https://staging.partner.example", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%q: credentials in the URL would be printed; leave them out", u.Redacted())
	}
	if p := u.Port(); p == "" && strings.HasSuffix(u.Host, ":") {
		return nil, fmt.Errorf("%q: the port is empty", raw)
	}
	return u, nil
}

// Probe checks every layer in turn; a layer that fails makes the ones above
// it skipped. It returns an error only for bad input (the URL, the CA file):
// every network failure is in the report.
func Probe(ctx context.Context, rawURL string, opts Options) (*Report, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	roots, err := LoadRoots(opts.CAFile)
	if err != nil {
		return nil, err
	}
	p := &probe{ctx: ctx, url: u, opts: opts, roots: roots, host: u.Hostname(), port: portOf(u)}
	rep := &Report{Schema: Schema, URL: u.String(), Host: p.host, Port: p.port, CheckedAt: opts.Now().UTC()}

	dns, addrs := p.resolve()
	tcp, conn := p.connect(addrs, dns.Status != Fail)
	tlsLayer, tlsOK := p.handshake(conn, tcp.Status == OK)
	if conn != nil {
		_ = conn.Close() // the HTTP layer makes its own connection, as a client would
	}
	httpLayer := p.request(tcp, tlsLayer, tlsOK)

	rep.Layers = []Layer{dns, tcp, tlsLayer, httpLayer}
	rep.Reachable = httpLayer.Status == OK
	rep.Verdict = verdict(rep)
	rep.Notes = notes(u)
	if opts.InsecureSkipVerify && u.Scheme == "https" {
		rep.Notes = append(rep.Notes, "WARNING: certificate verification is skipped for this endpoint (insecureSkipVerify): runs prove nothing about its certificate")
	}
	rep.Commands = commands(u, p.host, p.port, opts.CAFile)
	return rep, nil
}

// probe is one run of Probe.
type probe struct {
	ctx   context.Context
	url   *url.URL
	opts  Options
	roots *x509.CertPool // nil: the system's
	host  string
	port  string
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// verdict is the one line a partner reads first.
func verdict(rep *Report) string {
	if rep.Reachable {
		h := rep.Layers[3].HTTP
		if h.Status >= 500 || h.Status == http.StatusTooManyRequests {
			return fmt.Sprintf("reachable: the target answered %d %s, so it is not serving now (a system issue for golive run)", h.Status, h.StatusText)
		}
		return fmt.Sprintf("reachable: the target answered over HTTP (%d %s)", h.Status, h.StatusText)
	}
	for _, l := range rep.Layers {
		if l.Status == Fail {
			return fmt.Sprintf("not reachable: %s failed: %s", strings.ToUpper(l.Name), l.Summary)
		}
	}
	return "not reachable"
}

// notes says when golive run would not take the route doctor checked.
func notes(u *url.URL) []string {
	req := &http.Request{URL: u}
	proxy, err := http.ProxyFromEnvironment(req)
	if err != nil || proxy == nil {
		return nil
	}
	return []string{fmt.Sprintf("a proxy is configured for this URL (%s): golive run goes through it, doctor checked the direct route", proxy.Redacted())}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
