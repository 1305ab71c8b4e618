package client

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/golive-cert/golive/callbacks"
)

// receiver is the merchant's callback endpoint: it verifies the checksum,
// processes each (orderReference, status) once and acknowledges at once.
type receiver struct {
	key   string
	fault string
	srv   *http.Server
	url   string

	mu       sync.Mutex
	seen     map[string]bool // orderReference|status processed
	received int
}

func startReceiver(addr, key, fault string) (*receiver, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	r := &receiver{key: key, fault: fault, seen: map[string]bool{}, url: "http://" + ln.Addr().String()}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 64<<10))
	r.mu.Lock()
	r.received++
	r.mu.Unlock()
	if r.fault == FaultReceiver500 {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var cb struct {
		OrderReference string `json:"orderReference"`
		Status         string `json:"status"`
		Checksum       string `json:"checksum"`
	}
	if err != nil || json.Unmarshal(body, &cb) != nil || cb.OrderReference == "" {
		http.Error(w, "bad callback", http.StatusBadRequest)
		return
	}
	if r.fault != FaultAcceptTampered {
		ok, err := callbacks.Verify(body, r.key, cb.Checksum, "checksum")
		if err != nil || !ok {
			http.Error(w, "checksum mismatch", http.StatusUnauthorized)
			return
		}
	}
	// Idempotent: a repeat is acknowledged and changes nothing.
	r.mu.Lock()
	r.seen[cb.OrderReference+"|"+cb.Status] = true
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"received":true}`))
}

func (r *receiver) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = r.srv.Shutdown(ctx)
}
