package results

import (
	"cmp"
	"slices"
)

// Change is what happened to one item between two runs.
type Change string

const (
	Regressed    Change = "regressed"     // passed before, fails now
	NewFailure   Change = "new-failure"   // failing now, and was absent or not run before
	StillFailing Change = "still-failing" // failing in both
	Fixed        Change = "fixed"         // failing before, passes now
	NowSkipped   Change = "now-skipped"   // ran before, not run now
	NowPassing   Change = "now-passing"   // absent or not run before, passes now
	Removed      Change = "removed"       // in the earlier run only
	Unchanged    Change = "unchanged"     // same outcome (pass or skip) in both
)

// Changes lists the kinds of change, most urgent first: the order a diff
// is read in.
func Changes() []Change {
	return []Change{Regressed, NewFailure, StillFailing, Fixed, NowSkipped, NowPassing, Removed, Unchanged}
}

// RunRef names one side of a diff.
type RunRef struct {
	RunID   string  `json:"runId"`
	Partner string  `json:"partner,omitempty"`
	Started string  `json:"startedAt"`
	Verdict Verdict `json:"verdict"`
}

// ItemChange is one item's outcome in both runs.
type ItemChange struct {
	API      string   `json:"api"`
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Severity Severity `json:"severity"`
	Change   Change   `json:"change"`
	Before   Status   `json:"before,omitempty"` // "" when absent
	After    Status   `json:"after,omitempty"`
	// Category and Message are the later run's, or the earlier one's for a
	// fixed or removed item: what the reader acts on.
	Category Category `json:"category,omitempty"`
	Message  string   `json:"message,omitempty"`
}

// Diff compares two runs of the same partner item by item.
type Diff struct {
	Before  RunRef         `json:"before"`
	After   RunRef         `json:"after"`
	Items   []ItemChange   `json:"items"` // every item but the unchanged ones, most urgent first
	Counts  map[Change]int `json:"counts"`
	Verdict bool           `json:"verdictChanged"`
}

// Regressions counts what got worse: regressed items and new failures.
func (d Diff) Regressions() int { return d.Counts[Regressed] + d.Counts[NewFailure] }

// Compare diffs two runs. Items are matched by API and id, which are
// stable across runs of the same checklist.
func Compare(before, after *Run) Diff {
	d := Diff{Before: ref(before), After: ref(after), Counts: map[Change]int{}}
	d.Verdict = before.Verdict.Status != after.Verdict.Status
	type key struct{ api, id string }
	old := make(map[key]Item, len(before.Items))
	for _, it := range before.Items {
		old[key{it.API, it.ID}] = it
	}
	seen := make(map[key]bool, len(after.Items))
	for _, now := range after.Items {
		k := key{now.API, now.ID}
		seen[k] = true
		was, existed := old[k]
		c := ItemChange{API: now.API, ID: now.ID, Title: now.Title, Severity: now.Severity, After: now.Status,
			Category: now.Category, Message: now.Message}
		if existed {
			c.Before = was.Status
		}
		c.Change = change(was, existed, now)
		if c.Change == Fixed {
			c.Category, c.Message = was.Category, was.Message
		}
		d.add(c)
	}
	for _, was := range before.Items {
		if seen[key{was.API, was.ID}] {
			continue
		}
		d.add(ItemChange{API: was.API, ID: was.ID, Title: was.Title, Severity: was.Severity, Change: Removed,
			Before: was.Status, Category: was.Category, Message: was.Message})
	}
	order := map[Change]int{}
	for i, c := range Changes() {
		order[c] = i
	}
	sevOrder := map[Severity]int{Critical: 0, Major: 1, Minor: 2}
	slices.SortStableFunc(d.Items, func(a, b ItemChange) int {
		return cmp.Or(cmp.Compare(order[a.Change], order[b.Change]), cmp.Compare(sevOrder[a.Severity], sevOrder[b.Severity]),
			cmp.Compare(a.API, b.API), cmp.Compare(a.ID, b.ID))
	})
	return d
}

func (d *Diff) add(c ItemChange) {
	d.Counts[c.Change]++
	if c.Change != Unchanged {
		d.Items = append(d.Items, c)
	}
}

func failing(s Status) bool { return s == Fail || s == Error }

func change(was Item, existed bool, now Item) Change {
	ran := existed && was.Status != Skip
	switch {
	case failing(now.Status) && ran && failing(was.Status):
		return StillFailing
	case failing(now.Status) && ran:
		return Regressed
	case failing(now.Status):
		return NewFailure
	case now.Status == Pass && ran && failing(was.Status):
		return Fixed
	case now.Status == Pass && !ran:
		return NowPassing
	case now.Status == Skip && ran:
		return NowSkipped
	}
	return Unchanged
}

func ref(r *Run) RunRef {
	return RunRef{RunID: r.RunID, Partner: r.Target.Partner, Started: r.StartedAt.UTC().Format("2006-01-02 15:04:05Z"), Verdict: r.Verdict}
}
