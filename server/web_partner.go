package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/specs"
)

type progressView struct {
	API                 string
	Passed, Total       int
	FailingNow, Percent int
	NotRun              int // checklist items no run reached yet
	Failing             []string
	NeverPassed         []string
}

type apiChoice struct {
	Name string
	On   bool
}

type partnerPage struct {
	Partner          PartnerJSON
	Environments     []EnvironmentJSON
	Registered       []string
	BuiltinAPIs      []apiChoice
	Statuses         []string
	Progress         []progressView
	Runs             []RunJSON
	RunsBefore       int64 // the page shows runs below this id (?before=); 0 = the newest
	OlderRuns        int64 // the "Older" link's ?before=, 0 when this page reaches the first run
	Trend            *trendView
	DiffDefaultAfter int64
	SignOffs         []SignOffJSON
	Schedules        []ScheduleJSON
	Users            []UserJSON     // staff: the partner's users, but its Telegram user
	Admin            bool           // an admin: the users' Disable and Enable buttons
	Chats            []ChatLinkJSON // staff: the partner's linked Telegram chats
	Webhooks         []WebhookWithDeliveries
	WebhookEvents    []string
	NewSecret        *newSecretView // a webhook's secret just rotated, shown this once
	Tools            []toolView
	UATSessions      []UATSessionJSON
	UATAPIs          []string // registered APIs a client session covers
	UATOpen          bool     // a UAT session is open: the partner is in UAT
}

// maxListedItems keeps the progress lists readable; the report has all.
const maxListedItems = 40

func (s *Server) pagePartner(w http.ResponseWriter, r *http.Request, c *caller) error {
	before, err := pageBefore(r, "a run number")
	if err != nil {
		return err
	}
	pg, err := s.partnerPageAt(r.Context(), c, r.PathValue("partner"), before)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "partner", s.pageFor(c, pg.Partner.Name, pg))
}

// runsPerPage is the partner page's page of run history.
const runsPerPage = 50

// partnerPageData is what the partner page shows the caller.
func (s *Server) partnerPageData(ctx context.Context, c *caller, id string) (partnerPage, error) {
	return s.partnerPageAt(ctx, c, id, 0)
}

// partnerPageAt is the partner page with its run history from the runs
// below before (0 = the newest): keyset pages with an "Older" link. The
// trend and the diff form stay on the newest runs.
func (s *Server) partnerPageAt(ctx context.Context, c *caller, id string, before int64) (partnerPage, error) {
	po, err := s.partnerOverview(ctx, c.p, id)
	if err != nil {
		return partnerPage{}, err
	}
	pg := partnerPage{Partner: partnerJSON(po)}
	envs, err := s.store.ListEnvironments(ctx, c.p, id)
	if err != nil {
		return partnerPage{}, err
	}
	for _, e := range envs {
		pg.Environments = append(pg.Environments, envJSON(e))
	}
	for _, a := range po.APIs {
		pg.Registered = append(pg.Registered, a.API)
	}
	for _, b := range specs.Builtin() {
		pg.BuiltinAPIs = append(pg.BuiltinAPIs, apiChoice{Name: b, On: slices.Contains(pg.Registered, b)})
	}
	pg.Statuses = []string{string(store.StatusNotStarted), string(store.StatusSIT), string(store.StatusUAT),
		string(store.StatusCertified), string(store.StatusLive), string(store.StatusRegressed), string(store.StatusArchived)}
	prs, err := s.progress(ctx, c.p, id)
	if err != nil {
		return partnerPage{}, err
	}
	for _, pr := range prs {
		pg.Progress = append(pg.Progress, newProgressView(pr))
	}
	runs, err := s.store.ListRuns(ctx, c.p, id, store.RunPage{Before: before, Limit: runsPerPage + 1})
	if err != nil {
		return partnerPage{}, err
	}
	if len(runs) > runsPerPage {
		runs = runs[:runsPerPage]
		pg.OlderRuns = runs[len(runs)-1].ID
	}
	pg.RunsBefore = before
	for _, run := range runs {
		pg.Runs = append(pg.Runs, runJSON(run))
	}
	latest := runs
	if before > 0 {
		if latest, err = s.store.ListRuns(ctx, c.p, id, store.RunPage{Limit: runsPerPage}); err != nil {
			return partnerPage{}, err
		}
	}
	for _, run := range latest {
		if run.State == store.RunDone {
			pg.DiffDefaultAfter = run.ID
			break
		}
	}
	pg.Trend = newTrend(latest)
	sos, err := s.store.ListSignOffs(ctx, c.p, id)
	if err != nil {
		return partnerPage{}, err
	}
	for _, so := range sos {
		pg.SignOffs = append(pg.SignOffs, signOffJSON(so))
	}
	schs, err := s.store.ListSchedules(ctx, c.p, id)
	if err != nil {
		return partnerPage{}, err
	}
	for _, sch := range schs {
		pg.Schedules = append(pg.Schedules, s.scheduleJSON(sch))
	}
	if err := s.partnerUAT(ctx, c.p, id, &pg); err != nil {
		return partnerPage{}, err
	}
	if c.p.Staff() {
		users, err := s.partnerUsers(ctx, c.p, id)
		if err != nil {
			return partnerPage{}, err
		}
		pg.Users = convertAll(users, userJSON)
		if pg.Chats, err = s.partnerChats(ctx, c.p, id); err != nil {
			return partnerPage{}, err
		}
		if pg.Webhooks, err = s.partnerWebhooks(ctx, c.p, id, 5); err != nil {
			return partnerPage{}, err
		}
		pg.WebhookEvents = webhookEvents()
		pg.Admin = c.p.Role == store.RoleAdmin
	}
	pg.Tools = s.toolViews(c, id)
	return pg, nil
}

func newProgressView(pr store.Progress) progressView {
	v := progressView{API: pr.API, Passed: pr.Passed, Total: pr.TotalEverRun + pr.NotRun, NotRun: pr.NotRun, FailingNow: pr.FailingNow}
	if v.Total > 0 {
		v.Percent = (pr.Passed*100/v.Total + 2) / 5 * 5 // nearest 5%: the bar's classes
	}
	for _, it := range pr.Items {
		if (it.Latest == results.Fail || it.Latest == results.Error) && len(v.Failing) < maxListedItems {
			v.Failing = append(v.Failing, it.ItemID)
		}
		if !it.EverPassed && !it.NotRun && len(v.NeverPassed) < maxListedItems {
			v.NeverPassed = append(v.NeverPassed, it.ItemID)
		}
	}
	return v
}

// trendView is the run history's chart: the share of items passed per
// finished run, as inline SVG (no script, no library).
type trendView struct {
	Width, Height, Top, Bottom, Right, TopLabel, BottomLabel int
	Points                                                   string
	Dots                                                     []trendDot
}

type trendDot struct {
	X, Y         int
	RunID        int64
	Class, Title string
}

// trendRuns is how many finished runs the chart shows.
const trendRuns = 30

func newTrend(newestFirst []store.Run) *trendView {
	var runs []store.Run
	for _, r := range newestFirst {
		if r.State == store.RunDone && r.Counts.Total > 0 && len(runs) < trendRuns {
			runs = append(runs, r)
		}
	}
	if len(runs) == 0 {
		return nil
	}
	slices.Reverse(runs)
	t := &trendView{Width: 640, Height: 170, Top: 10, Bottom: 150, Right: 630}
	t.TopLabel, t.BottomLabel = t.Top+4, t.Bottom+4
	step := 0
	if len(runs) > 1 {
		step = (t.Right - 50) / (len(runs) - 1)
	}
	var pts []string
	for i, r := range runs {
		x := 45 + i*step
		y := t.Bottom - (t.Bottom-t.Top)*r.Counts.Passed/r.Counts.Total
		pts = append(pts, fmt.Sprintf("%d,%d", x, y))
		t.Dots = append(t.Dots, trendDot{X: x, Y: y, RunID: r.ID, Class: verdictClass(r.Verdict),
			Title: fmt.Sprintf("run %d: %s, %d of %d passed", r.ID, r.Verdict, r.Counts.Passed, r.Counts.Total)})
	}
	t.Points = strings.Join(pts, " ")
	return t
}

func verdictClass(v results.VerdictStatus) string {
	switch v {
	case results.Certified:
		return "good"
	case results.CertifiedWithObservations:
		return "observations"
	case results.NotTestable:
		return "untestable"
	}
	return "bad"
}

type runPage struct {
	Run         RunJSON
	PartnerName string
	Active      bool
	Artifacts   []ArtifactJSON
	Failing     []results.Item
	Certified   bool
	Evidence    string
	HasPrevious bool
}

func (s *Server) pageRun(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := runParam(r, "run")
	if err != nil {
		return err
	}
	ctx := r.Context()
	run, err := s.store.GetRun(ctx, c.p, id)
	if err != nil {
		return err
	}
	pt, err := s.store.GetPartner(ctx, c.p, run.PartnerID)
	if err != nil {
		return err
	}
	pg := runPage{Run: runJSON(run), PartnerName: pt.Name, Active: !isFinal(run.State), Certified: run.Certified()}
	if run.Verdict != "" {
		arts, err := s.store.ListArtifacts(ctx, c.p, id)
		if err != nil {
			return err
		}
		for _, a := range arts {
			pg.Artifacts = append(pg.Artifacts, ArtifactJSON{Name: a.Name, SHA256: a.SHA256, Size: a.Size})
		}
		if doc, err := s.loadResults(ctx, c.p, id); err == nil {
			for _, it := range doc.Items {
				if it.Status == results.Fail || it.Status == results.Error {
					pg.Failing = append(pg.Failing, it)
				}
			}
		}
		prev, err := s.store.ListRuns(ctx, c.p, run.PartnerID, store.RunPage{Before: id, Limit: 20})
		if err != nil {
			return err
		}
		pg.HasPrevious = slices.ContainsFunc(prev, func(x store.Run) bool { return x.State == store.RunDone })
	}
	if pg.Certified && c.p.Staff() {
		if pg.Evidence, err = s.evidenceHash(ctx, c.p, id); err != nil {
			return err
		}
	}
	return s.render(w, http.StatusOK, "run", s.pageFor(c, fmt.Sprintf("Run %d", id), pg))
}

type diffCount struct {
	Change results.Change
	N      int
}

func (s *Server) pageDiff(w http.ResponseWriter, r *http.Request, c *caller) error {
	d, before, after, err := s.diff(r, c)
	if err != nil {
		return err
	}
	pt, err := s.store.GetPartner(r.Context(), c.p, after.PartnerID)
	if err != nil {
		return err
	}
	var counts []diffCount
	for _, ch := range results.Changes() {
		if n := d.Counts[ch]; n > 0 && ch != results.Unchanged {
			counts = append(counts, diffCount{ch, n})
		}
	}
	return s.render(w, http.StatusOK, "diff", s.pageFor(c, fmt.Sprintf("Diff %d → %d", before.ID, after.ID), struct {
		Diff                   results.Diff
		Before, After          RunJSON
		PartnerID, PartnerName string
		Counts                 []diffCount
	}{d, runJSON(before), runJSON(after), pt.ID, pt.Name, counts}))
}
