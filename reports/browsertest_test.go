package reports_test

import "github.com/golive-cert/golive/internal/browsertest"

// The browser and the external tools, from the helpers every package whose
// pages a person reads shares (internal/browsertest).
type (
	chromium = browsertest.Browser
	tab      = browsertest.Tab
)

func requireTool(name, install string) string { return browsertest.RequireTool(name, install) }

func saveArtifact(name string, data []byte) string { return browsertest.SaveArtifact(name, data) }

func startChromium(bin string) *chromium { return browsertest.Start(bin, false) }
