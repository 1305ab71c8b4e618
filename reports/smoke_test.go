package reports_test

import (
	"os"
	"testing"

	"github.com/golive-cert/golive/reports"
)

func TestSmoke(t *testing.T) {
	if err := reports.WriteAll("/tmp/golive-smoke", fixtureRun()); err != nil {
		t.Fatal(err)
	}
	tm := reports.Terminal{W: os.Stdout, Color: true, Verbose: true}
	run := fixtureRun()
	for i, it := range run.Items {
		tm.ItemDone(it, i+1, len(run.Items))
	}
	tm.Summary(run)
}
