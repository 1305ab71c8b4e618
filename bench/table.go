package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable prints the results as plain-text tables.
func (r *Results) WriteTable(w io.Writer) error {
	p := &printer{w: w}
	mode := "full"
	if r.Quick {
		mode = "quick"
	}
	p.f("golive bench (%s) on %s/%s, %d CPUs (%s), %s; took %s\n", mode, r.Machine.OS, r.Machine.Arch,
		r.Machine.CPUs, orNA(r.Machine.CPU), r.Machine.GoVersion, r.Took.Round(time.Second))

	if s := r.Sandbox; s != nil {
		p.f("\n## Throughput against the in-process sandbox (built-in checklists, %d items, %d requests per run)\n", s.Items, s.Requests)
		t := p.table("MEASURE\tVALUE")
		t.row("checks per second (concurrency %d, median of %d runs)\t%.0f", s.Concurrency, s.Runs, s.ChecksPerS)
		t.row("requests per second (concurrency %d)\t%.0f", s.Concurrency, s.RequestsPer)
		t.row("golive, one item at a time: time per request\t%s", us(s.PerRequest))
		t.row("plain net/http loop, same requests: time per request (floor)\t%s", us(s.FloorPerReq))
		t.row("golive overhead per request\t%s (%.1fx the floor)", us(s.Overhead()), ratio(s.PerRequest, s.FloorPerReq))
		if s.FloorCPUPerReq > 0 {
			t.row("CPU per request, golive / the loop (whole process, in-process sandbox included)\t%s / %s (%.1fx)",
				us(s.CPUPerRequest), us(s.FloorCPUPerReq), ratio(s.CPUPerRequest, s.FloorCPUPerReq))
		}
		t.flush()
		if len(s.NotPassed) > 0 {
			p.f("note: %d item results did not pass, e.g. %s\n", len(s.NotPassed), s.NotPassed[0])
		}
	}

	p.f("\n## Loading real-world documents (median of repetitions; golive = load + index, plan = one check per operation checked by certify.Build)\n")
	if len(r.Corpus) == 0 {
		p.f("%s\n", orNA(r.CorpusNote))
	} else {
		t := p.table("DOCUMENT\tSIZE\tOPENAPI\tOPS\tGOLIVE LOAD\tPLAN\tKIN-OPENAPI LOAD (FLOOR)\tGOLIVE/KIN\tALLOC GOLIVE/KIN")
		for _, c := range r.Corpus {
			if c.Err != "" {
				t.row("%s\t%s\t-\t-\trefused: %s\t-\t%s\t-\t-", c.Name, kib(c.Bytes), trim(c.Err, 70), ms(c.Kin))
				continue
			}
			kin := ms(c.Kin)
			if c.KinErr != "" {
				kin = "error: " + trim(c.KinErr, 40)
			}
			t.row("%s\t%s\t%s\t%d\t%s\t%s\t%s\t%.2fx\t%s / %s", c.Name, kib(c.Bytes), c.OpenAPI, c.Operations, ms(c.Load), ms(c.Plan),
				kin, ratio(c.Load, c.Kin), mib(c.LoadAlloc), mib(c.KinAlloc))
		}
		t.flush()
	}

	if c := r.Concurrency; c != nil {
		p.f("\n## %d independent items against a target adding %s to every response\n", c.Items, c.Latency)
		t := p.table("CONCURRENCY\tWALL\tIDEAL (LATENCY ONLY)\tWALL/IDEAL\tMOST IN FLIGHT\tPASSED")
		for _, l := range c.Levels {
			t.row("%d\t%s\t%s\t%.2f\t%d\t%d/%d", l.Concurrency, ms(l.Wall), ms(l.Ideal), ratio(l.Wall, l.Ideal), l.MaxInFlight, l.Passed, c.Items)
		}
		t.flush()
	}

	if len(r.PollSlack) > 0 {
		p.f("\n## Poll slack: time from the target reaching its final state to the request that sees it\n")
		t := p.table("SCHEDULE\tFLOWS\tFLIPS WITHIN\tMEAN\tP50\tMAX\tSCHEDULE-IMPLIED MEAN/MAX\tRUNNER'S OWN (MEAN)\tATTEMPTS/FLOW\tFAILED")
		for _, s := range r.PollSlack {
			t.row("%s\t%d\t%s\t%s\t%s\t%s\t%s / %s\t%s\t%.1f\t%d", s.Schedule.Name, s.Flows, s.Span, ms(s.Mean), ms(s.P50), ms(s.Max),
				ms(s.ScheduleMean), ms(s.ScheduleMax), ms(s.Mean-s.ScheduleMean), s.Attempts, s.Failed)
		}
		t.flush()
	}

	if c := r.Critical; c != nil {
		p.f("\n## Critical path (issue 17): each figure against its floor\n")
		t := p.table("MEASURE\tFIGURE\tFLOOR\tRATIO\tTARGET")
		if n := c.NeverFinal; n != nil {
			t.row("demo --fault never-final, concurrency %d (%d items, %d not passed)\t%s\t%s (poll deadline)\t%.2fx\t<= 1.1x",
				n.Concurrency, n.Items, n.Failed, ms(n.Wall), ms(n.Deadline), n.Ratio())
		}
		if st := c.Settle; st != nil {
			t.row("%d flows polling (%s) things settling after %s, concurrency %d (%d passed)\t%s\t%s (settle time)\t%.2fx\t<= 1.2x",
				st.Items, st.Schedule.Name, st.Settle, st.Concurrency, st.Passed, ms(st.Wall), ms(st.Settle), st.Ratio())
		}
		if cb := c.CallbackSlack; cb != nil {
			t.row("poll slack after the callback, mean / max (%d of %d flows, polling every %s)\t%s / %s\t0 (budget %s)\t%.2fx the budget\t<= 1x the budget",
				cb.Measured, cb.Flows, cb.Interval, ms(cb.Mean), ms(cb.Max), ms(CallbackSlackBudget), ratio(cb.Max, CallbackSlackBudget))
		}
		if s := r.Sandbox; s != nil {
			t.row("golive per request, one item at a time, over a plain net/http loop\t%s\t%s\t%.2fx\t<= 1.3x",
				us(s.PerRequest), us(s.FloorPerReq), ratio(s.PerRequest, s.FloorPerReq))
			if s.FloorCPUPerReq > 0 {
				t.row("  the same, CPU time per request\t%s\t%s\t%.2fx\t",
					us(s.CPUPerRequest), us(s.FloorCPUPerReq), ratio(s.CPUPerRequest, s.FloorCPUPerReq))
			}
		}
		if m := c.Marginal; m != nil {
			t.row("  each further request (%d to %d copies of %s)\t%s\t%s\t%.2fx\t",
				m.Small, m.Large, marginalItem, us(m.GolivePerReq), us(m.FloorPerReq), m.Ratio())
			t.row("  a whole run of %d copies\t%s\t%s\t%.2fx\t", m.Small, us(m.GoliveSmall), us(m.FloorSmall), ratio(m.GoliveSmall, m.FloorSmall))
		}
		t.flush()
	}

	if len(r.Scale) > 0 {
		p.f("\n## Scale: a generated API, one check per operation, against a generated server\n")
		t := p.table("OPENAPI\tOPERATIONS\tSPEC\tLOAD\tPLAN\tRUN\tCHECKS/S\tPASSED\tRSS BEFORE\tPEAK RSS")
		for _, s := range r.Scale {
			t.row("%s\t%d\t%s\t%s\t%s\t%s\t%.0f\t%d/%d\t%s\t%s", s.OpenAPI, s.Operations, kib(int64(s.SpecBytes)), ms(s.Load), ms(s.Plan), ms(s.Run),
				float64(s.Operations)/s.Run.Seconds(), s.Passed, s.Operations, mib(s.RSSStart), mib(s.RSSPeak))
		}
		t.flush()
	}
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

type table struct {
	p  *printer
	tw *tabwriter.Writer
}

func (p *printer) table(header string) *table {
	t := &table{p: p, tw: tabwriter.NewWriter(p.w, 2, 4, 2, ' ', 0)}
	t.row("%s", header)
	return t
}

func (t *table) row(format string, args ...any) {
	if t.p.err == nil {
		_, t.p.err = fmt.Fprintf(t.tw, format+"\n", args...)
	}
}

func (t *table) flush() {
	if err := t.tw.Flush(); err != nil && t.p.err == nil {
		t.p.err = err
	}
}

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }

func kib(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func orNA(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}

func trim(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.TrimSpace(s[:n]) + "…"
}
