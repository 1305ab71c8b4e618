package runner

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/golive-cert/golive/callbacks"
	"github.com/golive-cert/golive/suites/tmpl"
)

// scope is what an item's templates can see: the suite's variables, the
// values its earlier steps captured, and generated values that stay the same
// within the item (so one gen.reference serves initiate and status).
type scope struct {
	vars     map[string]any
	captures map[string]any
	gen      map[string]any
	runID    string
	seq      int
	rng      *rand.Rand
	// slot is the item's callback address, opened on first use of
	// {{ gen.callbackUrl }} (before the request leaves, so a callback that
	// beats the initiate response is still caught).
	slot    *callbacks.Slot
	slotOp  string // the operation whose request handed out the slot
	curOp   string // the operation of the step being rendered
	openErr error
	hub     *callbackHub
}

func newScope(r *Runner, ir *itemRun) *scope {
	// Each item gets its own generator, seeded from the run seed and its
	// position, so --seed repeats the same values whatever the scheduling.
	return &scope{
		vars:     ir.job.vars,
		captures: map[string]any{},
		gen:      map[string]any{},
		runID:    r.runID,
		seq:      ir.seq,
		// The run id is mixed in so generated ids (gen.uuid) never repeat an
		// earlier run's, even with the same --seed.
		rng: rand.New(rand.NewPCG(uint64(r.cfg.seed)^runIDHash(r.runID), uint64(ir.seq))),
		hub: r.callbacks,
	}
}

func (s *scope) resolve(ref tmpl.Ref) (any, bool) {
	switch ref.NS {
	case tmpl.Var:
		v, ok := s.vars[ref.Name]
		return v, ok
	case tmpl.Capture:
		v, ok := s.captures[ref.Name]
		return v, ok
	case tmpl.Gen:
		if v, ok := s.gen[ref.Name]; ok {
			return v, true
		}
		if ref.Name == "callbackUrl" {
			return s.callbackURL()
		}
		v := s.generate(ref.Name)
		s.gen[ref.Name] = v
		return v, true
	}
	return nil, false
}

func (s *scope) callbackURL() (any, bool) {
	if s.slot == nil && s.openErr == nil && s.hub != nil {
		s.slot, s.openErr = s.hub.open()
		s.slotOp = s.curOp
	}
	if s.slot == nil {
		return nil, false
	}
	s.gen["callbackUrl"] = s.slot.URL
	return s.slot.URL, true
}

func (s *scope) generate(name string) any {
	now := time.Now().UTC()
	switch {
	case strings.HasPrefix(name, "reference"):
		// GL + run id + item number + a distinct index per name: unique per
		// run and per item, alphanumeric, 6 to 40 characters.
		return fmt.Sprintf("GL%s%03d%s", s.runID, s.seq, strconv.FormatInt(int64(len(s.gen)), 36))
	case name == "uuid":
		b := make([]byte, 16)
		for i := range b {
			b[i] = byte(s.rng.UintN(256))
		}
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
	case name == "timestamp":
		return now.Format(time.RFC3339)
	case name == "unix":
		return now.Unix()
	case name == "date":
		return now.Format("2006-01-02")
	}
	return ""
}

func runIDHash(id string) uint64 {
	var h uint64 = 14695981039346656037 // FNV-1a
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h
}
