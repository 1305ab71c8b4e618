package uat

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Recording file names in the session's out directory, next to the reports.
const (
	ExchangesFile = "exchanges.jsonl" // every exchange, one JSON object a line, as it happens
	HARFile       = "recording.har"   // the partner's client traffic as HAR 1.2, written at the end
)

// recording streams exchanges to disk as they happen, so memory does not
// grow with the session and an interrupted session keeps every exchange
// recorded so far.
type recording struct {
	mu   sync.Mutex
	path string
	f    *os.File
	w    *bufio.Writer
	enc  *json.Encoder
	n    int64
	err  error // the first write error; later writes are dropped
}

func openRecording(dir string) (*recording, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	path := filepath.Join(dir, ExchangesFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &recording{path: path, f: f, w: w, enc: enc}, nil
}

// write appends one exchange and flushes it to the file, so a crash or a
// second Ctrl-C loses nothing already answered.
func (r *recording) write(ex *Exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil || r.f == nil {
		return
	}
	if err := r.enc.Encode(ex); err != nil {
		r.err = err
		return
	}
	r.n++
	if err := r.w.Flush(); err != nil {
		r.err = err
	}
}

func (r *recording) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return r.err
	}
	err := r.w.Flush()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	r.f = nil
	if r.err != nil {
		return fmt.Errorf("recording %s: %w", r.path, r.err)
	}
	if err != nil {
		return fmt.Errorf("recording %s: %w", r.path, err)
	}
	return nil
}
