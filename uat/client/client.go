// Package client is a merchant's client of the BAU collections and payouts
// APIs: a real HTTP client that plays the UAT case list against a session
// URL, with its own callback receiver on loopback. Without a fault it does
// everything the client checklist asks; each named fault reproduces one
// typical merchant mistake. golive demo --client and the tests use it.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golive-cert/golive/uat"
)

// Config is one client run.
type Config struct {
	BaseURL     string
	APIs        []string
	Credentials uat.Credentials
	Timing      uat.Timing // the session's: pace, Retry-After
	Fault       string
	// HTTPClient sends the requests (its TLS settings are used); nil: a
	// plain client.
	HTTPClient *http.Client
	// RequestTimeout bounds each call (default 30s).
	RequestTimeout time.Duration
	// HeldAnswerTimeout is how long the client waits for the answer the
	// session holds (the timeout case's payment); default RequestTimeout.
	// It must be shorter than Timing.Hold, so the timeout case times out.
	// Apart so that a quick timeout case does not make every other call
	// fail on a machine slow enough to take that long to answer.
	HeldAnswerTimeout time.Duration
	ReceiverAddr      string // default 127.0.0.1:0
}

// Client is a running client with its callback receiver.
type Client struct {
	cfg  Config
	http *http.Client
	recv *receiver

	// mu makes the client send one request at a time, as many merchant
	// back ends do with one connection: no call leaves with a token the
	// client already knows to be expired.
	mu    sync.Mutex
	token string
}

// New checks the config and starts the callback receiver.
func New(cfg Config) (*Client, error) {
	if !IsFault(cfg.Fault) {
		return nil, &UnknownFaultError{Name: cfg.Fault}
	}
	if cfg.ReceiverAddr == "" {
		cfg.ReceiverAddr = "127.0.0.1:0"
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.HeldAnswerTimeout <= 0 {
		cfg.HeldAnswerTimeout = cfg.RequestTimeout
	}
	if cfg.HeldAnswerTimeout >= cfg.Timing.Hold {
		return nil, fmt.Errorf("client: the held answer's timeout (%s) must be shorter than the session's hold (%s)", cfg.HeldAnswerTimeout, cfg.Timing.Hold)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{Proxy: nil}}
	}
	recv, err := startReceiver(cfg.ReceiverAddr, cfg.Credentials.ChecksumKey, cfg.Fault)
	if err != nil {
		return nil, fmt.Errorf("client: callback receiver: %w", err)
	}
	return &Client{cfg: cfg, http: hc, recv: recv}, nil
}

// Close stops the receiver. Call it after the session delivered its callbacks.
func (c *Client) Close() { c.recv.close() }

// Play plays every case of every API and returns when each payment's flow
// is over. The timeout case goes first, on its own: while its answer is
// held the client sends nothing else, and the other cases' pauses (the
// Retry-After wait above all) must not depend on how long that took.
func (c *Client) Play(ctx context.Context) error {
	type payment struct{ amount, phone string }
	first := []payment{{uat.TimeoutAmount, uat.SuccessPhone}}
	rest := []payment{
		{uat.SuccessAmount, uat.SuccessPhone},
		{uat.SuccessAmount, uat.FailingPhone},
		{uat.LongAmount, uat.SuccessPhone},
		{uat.MaintenanceAmount, uat.SuccessPhone},
	}
	var errs []error
	for _, phase := range [][]payment{first, rest} {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, api := range c.cfg.APIs {
			for _, p := range phase {
				wg.Go(func() {
					ref, err := c.pay(ctx, api, p.amount, p.phone)
					if err == nil && p.amount == uat.SuccessAmount && p.phone == uat.SuccessPhone {
						err = c.duplicate(ctx, api, ref, p.amount, p.phone)
					}
					if err != nil {
						mu.Lock()
						errs = append(errs, fmt.Errorf("%s %s: %w", api, p.amount, err))
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
	}
	return errors.Join(errs...)
}

// pay makes one payment and follows it to its final state.
func (c *Client) pay(ctx context.Context, api, amount, phone string) (string, error) {
	ref := newRef()
	previewAmount := any(amount)
	switch c.cfg.Fault {
	case FaultAmountNumber:
		previewAmount = json.Number(amount)
	case FaultPreviewMismatch:
		previewAmount = plusOne(amount)
	}
	// A refused preview is logged by real clients and the initiate decides.
	_, _, _ = c.call(ctx, http.MethodPost, "/v1/"+api+"/preview", c.order(previewAmount, phone, ref, ""))
	retried := false
	for attempt := 0; ; attempt++ {
		status, hdr, err := c.initiate(ctx, api, amount, phone, ref)
		switch {
		case isTimeout(err) && !retried:
			retried = true
			switch c.cfg.Fault {
			case FaultNewRefOnRetry:
				ref = newRef()
				continue
			case FaultNoStatus:
				continue // same reference again; a 409 says it exists
			}
			return ref, c.poll(ctx, api, ref) // the payment may exist: ask
		case err != nil:
			return ref, err
		case status == http.StatusServiceUnavailable && attempt < 100:
			wait := time.Duration(atoiOr(hdr.Get("Retry-After"), 1)) * time.Second
			if c.cfg.Fault == FaultIgnoreRetryAfter {
				wait = 50 * time.Millisecond
			}
			if err := sleep(ctx, wait); err != nil {
				return ref, err
			}
			continue
		case status == http.StatusOK || status == http.StatusConflict:
			return ref, c.poll(ctx, api, ref)
		default:
			return ref, fmt.Errorf("initiate answered %d", status)
		}
	}
}

// initiate sends a payment with a callback URL; the timeout case's amount
// waits only HeldAnswerTimeout for its answer.
func (c *Client) initiate(ctx context.Context, api, amount, phone, ref string) (int, http.Header, error) {
	timeout := c.cfg.RequestTimeout
	if amount == uat.TimeoutAmount {
		timeout = c.cfg.HeldAnswerTimeout
	}
	return c.callWithin(ctx, timeout, http.MethodPost, initiatePath(api), c.order(amount, phone, ref, c.recv.url+"/callbacks/"+api))
}

// duplicate sends the initiate of a finished payment again (a double
// click): the API answers 409 and the client keeps the payment it has.
func (c *Client) duplicate(ctx context.Context, api, ref, amount, phone string) error {
	status, _, err := c.call(ctx, http.MethodPost, initiatePath(api), c.order(amount, phone, ref, ""))
	if err != nil {
		return err
	}
	if status != http.StatusConflict {
		return fmt.Errorf("duplicate initiate answered %d, want 409", status)
	}
	return nil
}

// poll queries the status until it is final.
func (c *Client) poll(ctx context.Context, api, ref string) error {
	if c.cfg.Fault == FaultNoStatus {
		return nil
	}
	pause := 2 * c.cfg.Timing.MinPollInterval
	if c.cfg.Fault == FaultPollNoPause {
		pause = 5 * time.Millisecond
	}
	extra := 0
	for {
		if err := sleep(ctx, pause); err != nil {
			return err
		}
		status, body, err := c.get(ctx, "/v1/"+api+"/"+ref)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("status query answered %d", status)
		}
		var o struct{ Status string }
		_ = json.Unmarshal(body, &o)
		if o.Status != "SUCCESS" && o.Status != "FAILED" {
			continue
		}
		if c.cfg.Fault != FaultPollAfterFinal || extra == 3 {
			return nil
		}
		extra++
	}
}

func (c *Client) order(amount any, phone, ref, callbackURL string) map[string]any {
	m := map[string]any{"amount": amount, "currency": "TZS", "orderReference": ref, "phoneNumber": phone}
	if callbackURL != "" {
		m["callbackUrl"] = callbackURL
	}
	return m
}

func (c *Client) get(ctx context.Context, path string) (int, []byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	resp, body, err := c.secured(ctx, c.cfg.RequestTimeout, http.MethodGet, path, nil)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, body, nil
}

func (c *Client) call(ctx context.Context, method, path string, payload map[string]any) (int, http.Header, error) {
	return c.callWithin(ctx, c.cfg.RequestTimeout, method, path, payload)
}

// callWithin is call with the time the answer is waited for, counted
// from when the request leaves (not while it waits for its turn).
func (c *Client) callWithin(ctx context.Context, timeout time.Duration, method, path string, payload map[string]any) (int, http.Header, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return 0, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	resp, _, err := c.secured(ctx, timeout, method, path, body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, resp.Header, nil
}

// secured sends a call with the bearer token, getting one first and a new
// one on 401; c.mu is held.
func (c *Client) secured(ctx context.Context, timeout time.Duration, method, path string, body []byte) (*http.Response, []byte, error) {
	sameTokenRetries := 0
	for refreshed := false; ; {
		if c.token == "" || c.cfg.Fault == FaultTokenPerRequest {
			if err := c.fetchToken(ctx); err != nil {
				return nil, nil, err
			}
		}
		resp, data, err := c.send(ctx, timeout, method, path, body, http.Header{"Authorization": {"Bearer " + c.token}})
		if err != nil || resp.StatusCode != http.StatusUnauthorized || refreshed {
			return resp, data, err
		}
		if c.cfg.Fault == FaultNoRefresh && sameTokenRetries < 2 {
			sameTokenRetries++
			if err := sleep(ctx, 2*c.cfg.Timing.MinPollInterval); err != nil {
				return nil, nil, err
			}
			continue
		}
		c.token, refreshed = "", true
	}
}

func (c *Client) fetchToken(ctx context.Context) error {
	path := "/v1/token"
	if c.cfg.Fault == FaultCredsInQuery {
		path += "?apiKey=" + c.cfg.Credentials.APIKey
	}
	resp, data, err := c.send(ctx, c.cfg.RequestTimeout, http.MethodPost, path, nil, http.Header{
		"client-id": {c.cfg.Credentials.ClientID}, "api-key": {c.cfg.Credentials.APIKey}})
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("token answered %d", resp.StatusCode)
	}
	var tok struct{ Token string }
	if err := json.Unmarshal(data, &tok); err != nil || tok.Token == "" {
		return fmt.Errorf("token answer without a token")
	}
	c.token = tok.Token
	return nil
}

func (c *Client) send(ctx context.Context, timeout time.Duration, method, path string, body []byte, h http.Header) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.cfg.BaseURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, data, err
}

func initiatePath(api string) string {
	if api == "payouts" {
		return "/v1/payouts/mobile-money"
	}
	return "/v1/collections/ussd-push"
}

func isTimeout(err error) bool {
	return err != nil && errors.Is(err, context.DeadlineExceeded)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// newRef is a fresh orderReference: letters and digits, as the spec asks.
func newRef() string { return "ORD" + rand.Text()[:16] }

func plusOne(amount string) string {
	whole, frac, _ := strings.Cut(amount, ".")
	n := 0
	fmt.Sscan(whole, &n)
	return fmt.Sprintf("%d.%s", n+1, frac)
}

func atoiOr(s string, def int) int {
	n := 0
	if _, err := fmt.Sscan(strings.TrimSpace(s), &n); err != nil || n < 0 {
		return def
	}
	return n
}
