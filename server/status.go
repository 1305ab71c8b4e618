package server

import (
	"slices"

	"github.com/golive-cert/golive/server/store"
)

// Stages of one API of a partner, as the overview shows them.
const (
	StageNotStarted = "not-started"
	StageSIT        = "sit"
	StageUAT        = "uat"
	StageCertified  = "certified"
	StageLive       = "live"
	StageRegressed  = "regressed"
)

// apiStage says where one API of a partner stands: the partner's place in
// the program (live, regressed, UAT) where it decides, else the API's own
// runs and the go-live sign-off.
func apiStage(po store.PartnerOverview, a store.APIStatus) APIStatusJSON {
	out := APIStatusJSON{API: a.API}
	if a.Latest != nil {
		out.LatestRunID, out.LatestState = a.Latest.ID, string(a.Latest.State)
	}
	if a.LatestDone != nil {
		out.LatestDoneID, out.Verdict = a.LatestDone.ID, string(a.LatestDone.Verdict)
	}
	so := po.LastSignOff
	switch {
	case po.Partner.Status == store.StatusRegressed:
		out.Stage, out.Label = StageRegressed, "regressed"
	case po.Partner.Status == store.StatusLive:
		out.Stage, out.Label = StageLive, "live"
	case so != nil && so.Decision == store.DecisionGo && a.LatestDone != nil:
		out.Stage = StageCertified
		out.Label = "certified on " + so.DecidedAt.UTC().Format("2006-01-02") + " by " + so.UserEmail
	case slices.Contains(po.OpenUAT, a.API):
		out.Stage, out.Label = StageUAT, "in UAT (session open)"
	case po.Partner.Status == store.StatusCertified:
		out.Stage, out.Label = StageCertified, "certified"
	case a.Latest == nil:
		out.Stage, out.Label = StageNotStarted, "not started"
	case po.Partner.Status == store.StatusUAT:
		out.Stage, out.Label = StageUAT, "in UAT"
	default:
		out.Stage, out.Label = StageSIT, "in SIT"
	}
	return out
}

func partnerJSON(po store.PartnerOverview) PartnerJSON {
	out := PartnerJSON{ID: po.Partner.ID, Name: po.Partner.Name, Status: string(po.Partner.Status),
		Contacts: po.Partner.Contacts, APIs: []APIStatusJSON{}, CreatedAt: po.Partner.CreatedAt}
	if out.Contacts == nil {
		out.Contacts = []store.Contact{}
	}
	for _, a := range po.APIs {
		out.APIs = append(out.APIs, apiStage(po, a))
	}
	return out
}
