package runner

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"

	"github.com/golive-cert/golive/results"
)

// transportFailure classifies an exchange that broke before a complete
// response came back: connection trouble, or a system that accepted the
// connection but did not answer in time.
func transportFailure(ex *exchange) *failure {
	if ex.err == nil {
		return nil
	}
	cat, why := classifyTransport(ex.err)
	what := describeTransport(ex.err)
	return &failure{
		status:   results.Error,
		category: cat,
		reason:   why,
		message:  fmt.Sprintf("%s %s: %s", ex.req.Method, ex.req.URL.Redacted(), what),
		expected: "an HTTP response",
		actual:   what,
		ex:       ex,
	}
}

// classifyTransport decides connection vs system for a transport error.
func classifyTransport(err error) (results.Category, string) {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.As(err, &dnsErr):
		return results.Connection, "the target's host name does not resolve (DNS)"
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalidCert):
		return results.Connection, "the TLS certificate was not accepted"
	case errors.As(err, &recordErr), strings.Contains(err.Error(), "tls:"):
		return results.Connection, "the TLS handshake failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return results.Connection, "nothing accepts connections at the target's address and port"
	case isDialTimeout(err):
		return results.Connection, "the TCP connection could not be established in time (firewall or routing)"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return results.Connection, "the connection was closed or reset before the response was complete"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), isTimeout(err):
		return results.System, "the target accepted the connection but did not answer in time"
	case errors.Is(err, context.Canceled):
		return results.System, "the request was cancelled (interrupt or item timeout)"
	}
	return results.Connection, "the HTTP exchange broke"
}

// describeTransport says in words what happened on the wire.
func describeTransport(err error) string {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("DNS lookup of %s failed: %s", dnsErr.Name, dnsErr.Err)
	case errors.As(err, &unknownAuth):
		return "TLS: certificate signed by an unknown authority (pass --ca-file for a private CA)"
	case errors.As(err, &hostErr):
		return "TLS: " + hostErr.Error()
	case errors.As(err, &invalidCert):
		return "TLS: " + invalidCert.Error()
	case errors.Is(err, syscall.ECONNREFUSED) && errors.As(err, &opErr) && opErr.Addr != nil:
		return fmt.Sprintf("TCP connect to %s refused", opErr.Addr)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "TCP connect refused"
	case isDialTimeout(err):
		return "TCP connect timed out"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the target"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed before the response was complete (EOF)"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), isTimeout(err):
		return "no response within the request timeout after connecting"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "Get ") || strings.HasPrefix(msg, "Post ") {
		msg = msg[i+2:]
	}
	return msg
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isDialTimeout(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial" && opErr.Timeout()
}

// serverFailure classifies a response that says the target is not serving:
// 502/503/504 and 429 are system issues; a 500 is provisionally an
// integration defect, revisited with the whole run in view.
func serverFailure(ex *exchange) *failure {
	if ex == nil || ex.status == 0 {
		return nil
	}
	html := strings.Contains(strings.ToLower(ex.header.Get("Content-Type")), "text/html")
	ra := ex.header.Get("Retry-After")
	switch ex.status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusTooManyRequests:
		why := fmt.Sprintf("the target answered %d %s", ex.status, http.StatusText(ex.status))
		if ra != "" {
			why += " with Retry-After: " + ra
		}
		if html {
			why += " and an HTML page where JSON was expected (a maintenance page or a gateway error)"
		}
		why += ": it is reachable but not serving"
		return &failure{status: results.Error, category: results.System, reason: why, ex: ex}
	}
	if ex.status >= 500 {
		return &failure{status: results.Fail, category: results.Integration, serverError: true, ex: ex,
			reason: fmt.Sprintf("the target answered %d on this request while the rest of the API works: a defect for this input", ex.status)}
	}
	return nil
}

// classify looks at the whole run: when most responses were 5xx, each 500
// is the target being down (system), not a defect of one operation.
func classify(items []*itemRun) {
	var responses, server int
	for _, ir := range items {
		for _, ex := range ir.exchanges {
			if ex.status == 0 {
				continue
			}
			responses++
			if ex.status >= 500 {
				server++
			}
		}
	}
	mostlyDown := responses >= 3 && server*2 > responses
	for _, ir := range items {
		f := ir.failure
		if f == nil || !f.serverError || !mostlyDown {
			continue
		}
		ir.result.Status = results.Error
		ir.result.Category = results.System
		ir.result.Remediation = categoryRemedy(results.System)
		ir.result.Reason = fmt.Sprintf("%d of %d responses in this run were 5xx: the target looks down, not defective on one input", server, responses)
	}
}
