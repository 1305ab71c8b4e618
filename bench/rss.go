package bench

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
)

// procStatus reads a "kB" field of /proc/self/status, in bytes; 0 where
// there is no /proc (not Linux).
func procStatus(field string) uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// MemProbe follows the process's resident memory during a measurement: the
// resident size at the start, and the highest seen since (sampled every
// 5ms, and read from the kernel's high-water mark where it can be reset).
type MemProbe struct {
	Start uint64
	reset bool

	mu      sync.Mutex
	peak    uint64
	done    chan struct{}
	stopped chan struct{}
}

// StartMemProbe starts following resident memory (Linux; zeros elsewhere).
func StartMemProbe() *MemProbe {
	runtime.GC()
	debug.FreeOSMemory()
	p := &MemProbe{done: make(chan struct{}), stopped: make(chan struct{})}
	p.Start = procStatus("VmRSS")
	p.peak = p.Start
	// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
	p.reset = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	go func() {
		defer close(p.stopped)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				if v := procStatus("VmRSS"); v > 0 {
					p.mu.Lock()
					p.peak = max(p.peak, v)
					p.mu.Unlock()
				}
			}
		}
	}()
	return p
}

// Stop returns the peak resident size seen since the start.
func (p *MemProbe) Stop() uint64 {
	close(p.done)
	<-p.stopped
	peak := p.peak
	if p.reset {
		peak = max(peak, procStatus("VmHWM"))
	}
	return peak
}

// Growth stops the probe and returns how far resident memory rose above
// where it was at the start.
func (p *MemProbe) Growth() uint64 {
	peak := p.Stop()
	if peak < p.Start {
		return 0
	}
	return peak - p.Start
}

// mib formats bytes as MiB.
func mib(b uint64) string {
	if b == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) + " MiB"
}
