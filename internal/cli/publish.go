package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/server"
)

// envPublishToken is the hub API token `golive run --publish` sends.
const envPublishToken = "GOLIVE_PUBLISH_TOKEN"

// publishRun uploads a run's reports from dir to the hub: URL is the hub's
// address (the partner is the token's own) or a partner's publish URL
// (https://hub/api/v1/partners/ID/publish, for staff tokens).
func publishRun(gs *GlobalState, hubURL, dir string) (string, error) {
	if err := checkPublish(gs, hubURL); err != nil {
		return "", err
	}
	token, _ := gs.LookupEnv(envPublishToken)
	u, _ := url.Parse(hubURL)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(gs.Ctx), 2*time.Minute)
	defer cancel()
	target := u.String()
	if !strings.Contains(u.Path, "/api/v1/partners/") {
		base := strings.TrimRight(u.String(), "/")
		var me server.UserJSON
		if err := hubJSON(ctx, base+"/api/v1/me", token, &me); err != nil {
			return "", err
		}
		if me.PartnerID == "" {
			return "", fmt.Errorf("--publish: a staff token publishes to a partner: give %s/api/v1/partners/PARTNER-ID/publish", base)
		}
		target = base + "/api/v1/partners/" + me.PartnerID + "/publish"
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, name := range []string{reports.ResultsFile, reports.JUnitFile, reports.HTMLFile, reports.ManifestFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "", fmt.Errorf("--publish: read %s: %w", name, err)
		}
		field := server.PublishArtifactField
		if name == reports.ResultsFile {
			if err := addFile(mw, server.PublishResultsField, name, data); err != nil {
				return "", err
			}
		}
		if err := addFile(mw, field, name, data); err != nil {
			return "", err
		}
	}
	if err := mw.Close(); err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, &body)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	var run server.RunJSON
	if err := doHub(req, &run); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s://%s/runs/%d", u.Scheme, u.Host, run.ID), nil
}

// checkPublish finds what would stop the upload before anything runs: no
// token in the environment, or a URL that is not the hub's.
func checkPublish(gs *GlobalState, hubURL string) error {
	if token, _ := gs.LookupEnv(envPublishToken); token == "" {
		return fmt.Errorf("--publish: %s is not set: create an API token on the hub's Account page", envPublishToken)
	}
	u, err := url.Parse(hubURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--publish %q: want the hub's http(s) URL", hubURL)
	}
	if u.User != nil {
		return fmt.Errorf("--publish %q: credentials in the URL would end up in logs; the token comes from %s", u.Redacted(), envPublishToken)
	}
	return nil
}

func addFile(mw *multipart.Writer, field, name string, data []byte) error {
	w, err := mw.CreateFormFile(field, name)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

func hubJSON(ctx context.Context, url, token string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return doHub(req, out)
}

// doHub sends a request to the hub and decodes its answer; the hub's own
// error message is passed on (it never holds a secret).
func doHub(req *http.Request, out any) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("--publish: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		var e server.APIError
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return fmt.Errorf("--publish: the hub answered %d: %s", resp.StatusCode, e.Error)
		}
		return fmt.Errorf("--publish: the hub answered %s", resp.Status)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("--publish: the hub's answer is not JSON: %w", err)
	}
	return nil
}
