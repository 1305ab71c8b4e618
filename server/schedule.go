package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/golive-cert/golive/server/store"
)

// cronParser reads the schedules' cron expressions: five fields (minute
// hour day month weekday), an optional leading seconds field, or a
// descriptor such as @daily.
func cronParser() cron.Parser {
	return cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// cronSyntax is what a schedule's expression may be, for the answer to a
// bad one.
const cronSyntax = `five fields (minute hour day month weekday, e.g. "0 6 * * *"), an optional leading seconds field, ` +
	`@yearly, @monthly, @weekly, @daily, @hourly, or @every DURATION (e.g. @every 6h)`

// parseCron reads a schedule's expression. @every DURATION counts from
// fixed instants (multiples of the duration since Go's zero time, in UTC:
// @every 1h fires on the hour), not from when this replica's cron started,
// so every replica computes the same fire times and claims the same tick
// (robfig's own @every counts from each cron's start: replicas started at
// different times would each queue the run).
func parseCron(expr string) (cron.Schedule, error) {
	expr = strings.TrimSpace(expr)
	if rest, ok := strings.CutPrefix(expr, "@every"); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || d < time.Second || d%time.Second != 0 {
			return nil, errors.New("@every takes a duration of whole seconds, at least 1s, such as 30m or 6h")
		}
		return everySchedule{d}, nil
	}
	if strings.HasPrefix(expr, "@") && len(strings.Fields(expr)) > 1 {
		return nil, fmt.Errorf("only @every takes a value")
	}
	spec, err := cronParser().Parse(expr)
	if err != nil {
		return nil, err
	}
	return spec, nil
}

// MinScheduleInterval is the least time between two fires of a schedule:
// each fire queues a full run.
const MinScheduleInterval = 15 * time.Minute

// shortestGap is the shortest time between consecutive fires among a
// schedule's next 100 fires after from (enough to cover any pattern that
// repeats within a day at the minimum interval; a schedule that never
// fires again has no gap).
func shortestGap(spec cron.Schedule, from time.Time) time.Duration {
	shortest := time.Duration(1<<63 - 1)
	prev := spec.Next(from)
	for range 100 {
		if prev.IsZero() {
			break
		}
		next := spec.Next(prev)
		if next.IsZero() {
			break
		}
		if d := next.Sub(prev); d < shortest {
			shortest = d
		}
		prev = next
	}
	return shortest
}

// everySchedule fires at every multiple of its interval.
type everySchedule struct{ every time.Duration }

func (e everySchedule) Next(t time.Time) time.Time { return t.Truncate(e.every).Add(e.every) }

// scheduler runs the partners' schedules (robfig/cron: maintained, the
// standard cron syntax, no dependencies). Schedules live in the store;
// the scheduler mirrors them and reloads whenever one changes here.
type scheduler struct {
	s *Server

	mu      sync.Mutex
	cron    *cron.Cron
	entries map[string]cron.EntryID // schedule id -> entry
	exprs   map[string]string       // schedule id -> its cron expression in entries
	ctx     context.Context
}

func newScheduler(s *Server) *scheduler {
	return &scheduler{s: s, entries: map[string]cron.EntryID{}, exprs: map[string]string{}}
}

func (sc *scheduler) start(ctx context.Context) error {
	sc.mu.Lock()
	sc.ctx = ctx
	sc.cron = cron.New(cron.WithParser(cronParser()), cron.WithLocation(time.UTC))
	sc.mu.Unlock()
	if err := sc.reload(ctx); err != nil {
		return err
	}
	// Housekeeping: expired browser sessions and link codes go, and old
	// artifacts when a retention is set; one replica per round.
	every := sc.s.cfg.HousekeepingInterval
	if _, err := sc.cron.AddFunc("@every "+every.String(), func() { sc.housekeep(ctx, every) }); err != nil {
		return fmt.Errorf("server: housekeeping: %w", err)
	}
	// Replicas: a schedule created or deleted on another replica reaches
	// this one's cron within a minute.
	if _, err := sc.cron.AddFunc("@every 1m", func() {
		if err := sc.reload(ctx); err != nil && ctx.Err() == nil {
			sc.s.log.Error("reload schedules", "err", err)
		}
	}); err != nil {
		return fmt.Errorf("server: schedule reload: %w", err)
	}
	sc.cron.Start()
	return nil
}

// housekeepingTick names the housekeeping rounds in store.ClaimTick.
const housekeepingTick = "housekeeping"

// housekeep is one round of housekeeping, carried out by the replica that
// claims the round (the interval's slot).
func (sc *scheduler) housekeep(ctx context.Context, every time.Duration) {
	s := sc.s
	now := s.cfg.Now().UTC()
	won, err := s.store.ClaimTick(ctx, store.System(), housekeepingTick, now.Truncate(every))
	if err != nil {
		s.log.Error("housekeeping: claim the round", "err", err)
		return
	}
	if !won {
		return // another replica does this round
	}
	sessions, err := s.store.DeleteExpiredSessions(ctx)
	if err != nil {
		s.log.Error("housekeeping: expire sessions", "err", err)
	}
	var pruned int64
	if keep := s.cfg.KeepArtifacts; keep > 0 {
		if pruned, err = s.store.PruneArtifacts(ctx, store.System(), now.Add(-keep)); err != nil {
			s.log.Error("housekeeping: prune artifacts", "err", err)
		}
	}
	chats, err := s.store.PruneChatMessages(ctx, store.System(), now.Add(-chatOutboxKeep))
	if err != nil {
		s.log.Error("housekeeping: prune telegram outbox", "err", err)
	}
	deliveries, err := s.store.PruneDeliveries(ctx, store.System(), now.Add(-webhookDeliveriesKeep))
	if err != nil {
		s.log.Error("housekeeping: prune webhook deliveries", "err", err)
	}
	s.log.Info("housekeeping", "round", now.Truncate(every).Format(time.RFC3339), "sessions_expired", sessions,
		"artifacts_pruned", pruned, "telegram_messages_pruned", chats, "webhook_deliveries_pruned", deliveries)
}

func (sc *scheduler) stop() {
	sc.mu.Lock()
	c := sc.cron
	sc.mu.Unlock()
	if c != nil {
		<-c.Stop().Done() // a schedule firing now finishes queueing its run
	}
}

// reload mirrors the stored schedules. A schedule whose expression no
// longer parses is logged and skipped, never fatal.
func (sc *scheduler) reload(ctx context.Context) error {
	all, err := sc.s.store.ListSchedules(ctx, store.System(), "")
	if err != nil {
		return fmt.Errorf("server: load schedules: %w", err)
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.cron == nil {
		return nil // not started: Start loads them
	}
	want := map[string]string{}
	for _, sch := range all {
		if sch.Enabled {
			want[sch.ID] = sch.Cron
		}
	}
	// Unchanged schedules keep their entries (a reload at the second a
	// schedule fires must not skip the fire); others are replaced.
	for id, e := range sc.entries {
		if expr, ok := want[id]; ok && expr == sc.exprs[id] {
			delete(want, id)
			continue
		}
		sc.cron.Remove(e)
		delete(sc.entries, id)
		delete(sc.exprs, id)
	}
	for id, expr := range want {
		spec, err := parseCron(expr)
		if err != nil {
			sc.s.log.Error("schedule does not parse", "schedule", id, "err", err)
			continue
		}
		sc.exprs[id] = expr
		sc.entries[id] = sc.cron.Schedule(spec, cron.FuncJob(func() { sc.fire(id, spec) }))
	}
	return nil
}

// next is when a schedule fires next (zero when not scheduled).
func (sc *scheduler) next(id string) time.Time {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	e, ok := sc.entries[id]
	if !ok || sc.cron == nil {
		return time.Time{}
	}
	return sc.cron.Entry(e).Next
}

// fireLag bounds how late a fire may start and still count as the fire it
// was (a loaded machine, a stopped-the-world pause); later than that it
// counts as the latest fire time before now.
const fireLag = time.Minute

// fireTime is the scheduled time of the fire under way at now: the latest
// time of spec not after now. robfig/cron starts the job at (or just after)
// that time, and every replica computes the same value from the same
// expression, so it names the fire across replicas.
func fireTime(spec cron.Schedule, now time.Time) time.Time {
	t := spec.Next(now.Add(-fireLag))
	if t.After(now) {
		return now.Truncate(time.Second)
	}
	for {
		n := spec.Next(t)
		if n.IsZero() || n.After(now) {
			return t
		}
		t = n
	}
}

// fire starts a schedule's run once across replicas: each replica's cron
// fires every schedule, and the fire time is claimed in the run's own
// transaction (store.NewRun.Tick), so only the first replica's run is
// queued; the others get store.ErrTickTaken and queue nothing.
func (sc *scheduler) fire(id string, spec cron.Schedule) {
	sc.mu.Lock()
	ctx := sc.ctx
	sc.mu.Unlock()
	if ctx == nil || ctx.Err() != nil {
		return
	}
	at := fireTime(spec, time.Now().UTC())
	r, err := sc.s.triggerSchedule(ctx, id, store.ScheduleTick(id), at)
	switch {
	case errors.Is(err, store.ErrTickTaken):
		sc.s.log.Debug("schedule fire taken by another replica", "schedule", id, "at", at)
	case err != nil:
		sc.s.log.Error("scheduled run not started", "schedule", id, "err", err)
	default:
		sc.s.log.Info("schedule fired", "schedule", id, "at", at.Format(time.RFC3339), "run", r.ID)
	}
}

// TriggerSchedule starts a schedule's run now (what the cron does, and the
// page's "Run now"): a production-safe run unless the schedule allows
// writes.
func (s *Server) TriggerSchedule(ctx context.Context, id string) (store.Run, error) {
	return s.triggerSchedule(ctx, id, "", time.Time{})
}

// triggerSchedule starts a schedule's run; with a tick, only when this
// call claims it (store.ErrTickTaken otherwise).
func (s *Server) triggerSchedule(ctx context.Context, id, tick string, at time.Time) (store.Run, error) {
	sch, err := s.store.GetSchedule(ctx, store.System(), id)
	if err != nil {
		return store.Run{}, err
	}
	r, err := s.startRun(ctx, store.System(), sch.PartnerID, startInput{APIs: []string{sch.API},
		Environment: sch.Environment, AllowWrites: sch.AllowWrites, Source: store.SourceSchedule,
		Tick: tick, TickAt: at})
	if err != nil {
		return store.Run{}, err
	}
	if err := s.store.MarkScheduleRun(ctx, store.System(), id, r.ID); err != nil {
		s.log.Error("mark schedule run", "schedule", id, "err", err)
	}
	return r, nil
}

type scheduleBody struct {
	Cron        string `json:"cron"`
	API         string `json:"api"`
	Environment string `json:"environment"`
	AllowWrites bool   `json:"allowWrites"`
	Enabled     *bool  `json:"enabled"`
}

func (s *Server) createSchedule(ctx context.Context, p store.Principal, partnerID string, in scheduleBody) (store.Schedule, error) {
	if in.Environment == "" {
		in.Environment = store.Production
	}
	spec, err := parseCron(in.Cron)
	if err != nil {
		return store.Schedule{}, badRequest("cron: %q: %s; want %s", truncate(in.Cron, 60), err, cronSyntax)
	}
	if gap := shortestGap(spec, s.cfg.Now()); gap < MinScheduleInterval {
		return store.Schedule{}, badRequest("cron: %q fires %s apart; schedules fire at most every %s",
			truncate(in.Cron, 60), gap, MinScheduleInterval)
	}
	apis, err := s.store.ListPartnerAPIs(ctx, p, partnerID)
	if err != nil {
		return store.Schedule{}, err
	}
	if !containsString(apis, in.API) {
		return store.Schedule{}, badRequest("API %q is not registered for this partner (registered: %s)",
			truncate(in.API, 40), orNone(joinAPIs(apis)))
	}
	if _, err := s.store.GetEnvironment(ctx, p, partnerID, in.Environment); errors.Is(err, store.ErrNotFound) {
		return store.Schedule{}, badRequest("environment %q is not registered for this partner", truncate(in.Environment, 40))
	} else if err != nil {
		return store.Schedule{}, err
	}
	enabled := in.Enabled == nil || *in.Enabled
	sch, err := s.store.CreateSchedule(ctx, p, partnerID, store.ScheduleInput{Cron: in.Cron, API: in.API,
		Environment: in.Environment, AllowWrites: in.AllowWrites, Enabled: enabled})
	s.audit(ctx, p, partnerID, "schedule.create", "schedule "+sch.ID,
		map[string]string{"cron": in.Cron, "api": in.API, "environment": in.Environment}, err)
	if err != nil {
		return store.Schedule{}, err
	}
	if err := s.sched.reload(ctx); err != nil {
		s.log.Error("reload schedules", "err", err)
	}
	return sch, nil
}

func (s *Server) deleteSchedule(ctx context.Context, p store.Principal, id string) error {
	sch, err := s.store.GetSchedule(ctx, p, id)
	if err != nil {
		return err
	}
	err = s.store.DeleteSchedule(ctx, p, id)
	s.audit(ctx, p, sch.PartnerID, "schedule.delete", "schedule "+id, nil, err)
	if err != nil {
		return err
	}
	return s.sched.reload(ctx)
}

func (s *Server) scheduleJSON(sch store.Schedule) ScheduleJSON {
	out := ScheduleJSON{ID: sch.ID, PartnerID: sch.PartnerID, Cron: sch.Cron, API: sch.API, Environment: sch.Environment,
		AllowWrites: sch.AllowWrites, Enabled: sch.Enabled, LastRunID: sch.LastRunID}
	if n := s.sched.next(sch.ID); !n.IsZero() {
		out.NextRunAt = &n
	}
	return out
}

func (s *Server) apiListSchedules(w http.ResponseWriter, r *http.Request, c *caller) error {
	all, err := s.store.ListSchedules(r.Context(), c.p, r.PathValue("partner"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, convertAll(all, s.scheduleJSON))
	return nil
}

func (s *Server) apiCreateSchedule(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in scheduleBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sch, err := s.createSchedule(r.Context(), c.p, r.PathValue("partner"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.scheduleJSON(sch))
	return nil
}

func (s *Server) apiDeleteSchedule(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.deleteSchedule(r.Context(), c.p, r.PathValue("schedule")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
