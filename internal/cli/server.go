package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/telegram"
	"github.com/golive-cert/golive/telegram/faq"
	"github.com/golive-cert/golive/telegram/tools"
)

// Environment variables the hub reads (secrets never come from flags).
const (
	envAdminEmail    = "GOLIVE_ADMIN_EMAIL"
	envAdminPassword = "GOLIVE_ADMIN_PASSWORD"
	envTelegramToken = "GOLIVE_TELEGRAM_TOKEN"
	envTelegramAPI   = "GOLIVE_TELEGRAM_API_URL"
)

type serverCmd struct {
	cmd             *cobra.Command
	db              string
	listen          string
	workers         int
	workerName      string
	publicURL       string
	advertiseURL    string
	insecureCookies bool
	faqDir          string
	toolsFile       string
	keepArtifacts   string
}

func newServerCmd(gs *GlobalState) *serverCmd {
	c := &serverCmd{}
	c.cmd = &cobra.Command{
		Use:   "server [--db URL] [--listen ADDR]",
		Short: "Run the hub: partners, run history, sign-offs, schedules, the Telegram bot",
		Long: `server runs the BAU team's hub: partner profiles and endpoints, certification
runs (queued, streamed, stored), checklist progress, run diffs, the go-live
sign-off, scheduled production-safe runs after go-live, the audit log and,
with GOLIVE_TELEGRAM_TOKEN, the Telegram bot.

Environment:
  GOLIVE_SECRET_KEY       required: 32 random bytes, base64; seals partner credentials
  GOLIVE_ADMIN_EMAIL      the first admin, created when the hub has no users yet
  GOLIVE_ADMIN_PASSWORD   its password (12+ characters); there is no default
  GOLIVE_TELEGRAM_TOKEN   run the bot (long polling)
  GOLIVE_TELEGRAM_API_URL the Bot API base URL (default https://api.telegram.org)`,
		Example: `  export GOLIVE_SECRET_KEY=$(openssl rand -base64 32)
  export GOLIVE_ADMIN_EMAIL=lead@bau.example GOLIVE_ADMIN_PASSWORD='a long passphrase'
  golive server
  golive server --db postgres://golive@db.internal/golive --listen 0.0.0.0:8080 --public-url https://hub.bau.example`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return c.run(gs) },
	}
	f := c.cmd.Flags()
	f.StringVar(&c.db, "db", "", "database: a SQLite file (default golive.db in the working directory) or postgres://...")
	f.StringVar(&c.listen, "listen", "127.0.0.1:8080", "address to serve on")
	f.IntVar(&c.workers, "workers", 4, "certification runs carried out at once; the rest wait in the queue")
	f.StringVar(&c.workerName, "worker-name", "", "this replica's name in the run queue (replicas sharing PostgreSQL: a stable host name)")
	f.StringVar(&c.publicURL, "public-url", "", "the hub's address as people reach it, for links in notifications")
	f.StringVar(&c.advertiseURL, "advertise-url", "", "where the other replicas reach this one (http://HOST:PORT), so they forward its live UAT sessions' traffic here")
	f.BoolVar(&c.insecureCookies, "insecure-cookies", false, "send session cookies over plain HTTP (only behind a TLS proxy that strips it, or for a trial)")
	f.StringVar(&c.faqDir, "faq-dir", "docs/faq", "folder of the FAQ files the bot's /faq searches")
	f.StringVar(&c.toolsFile, "tools", "", "tools.yaml: the internal tools the bot and the partner page offer (needs GOLIVE_TELEGRAM_TOKEN)")
	f.StringVar(&c.keepArtifacts, "keep-artifacts", "forever", "how long report files of finished runs are kept (e.g. 180d, 2160h); "+
		"results.json, signed-off runs and each partner's last good run are always kept")
	return c
}

// parseRetention reads --keep-artifacts: "forever" (or empty: 0), a number
// of days ("180d"), or a Go duration ("2160h").
func parseRetention(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "forever" {
		return 0, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, errors.New("want a number of days such as 180d, a duration such as 2160h, or forever")
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, errors.New("want a number of days such as 180d, a duration such as 2160h, or forever")
		}
	}
	if d < time.Hour {
		return 0, errors.New("keep artifacts at least an hour (or forever)")
	}
	return d, nil
}

// telegramConfig reads the bot's settings: the token from the
// environment, the FAQ directory and the tools file.
func (c *serverCmd) telegramConfig(gs *GlobalState, cfg *server.Config) error {
	token, ok := gs.LookupEnv(envTelegramToken)
	if !ok || token == "" {
		if c.toolsFile != "" {
			return invalidf("--tools needs %s: the tools run through the bot", envTelegramToken)
		}
		return nil
	}
	api, _ := gs.LookupEnv(envTelegramAPI)
	cfg.Telegram = &telegram.Config{Token: token, APIURL: api, Logger: cfg.Logger}
	if fi, err := os.Stat(c.faqDir); err == nil && fi.IsDir() {
		idx, err := faq.New(os.DirFS(c.faqDir), c.publicURL)
		if err != nil {
			return invalidf("--faq-dir %s: %v", c.faqDir, err)
		}
		cfg.FAQ = idx
	}
	if c.toolsFile != "" {
		cat, err := tools.Load(c.toolsFile)
		if err != nil {
			return invalidf("--tools: %v", err) // FILE:LINE: message, every problem
		}
		cfg.Telegram.Tools = cat
	}
	return nil
}

func (c *serverCmd) run(gs *GlobalState) error {
	if c.advertiseURL != "" {
		u, err := url.Parse(c.advertiseURL)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return invalidf("--advertise-url %q: want this replica's address as the others reach it, such as http://10.0.0.5:8080", c.advertiseURL)
		case c.workerName == "":
			return invalidf("--advertise-url needs --worker-name: the replicas tell whose UAT session it is by name")
		}
	}
	// Every flag and file is read before the database is touched, so a
	// refusal leaves nothing behind.
	keep, err := parseRetention(c.keepArtifacts)
	if err != nil {
		return invalidf("--keep-artifacts %q: %v", c.keepArtifacts, err)
	}
	cfg := server.Config{Logger: slog.New(slog.NewTextHandler(gs.Stderr, nil)), Workers: c.workers,
		WorkerName: c.workerName, PublicURL: c.publicURL, AdvertiseURL: c.advertiseURL, InsecureCookies: c.insecureCookies, Version: gs.Version,
		KeepArtifacts: keep}
	if err := c.telegramConfig(gs, &cfg); err != nil {
		return err
	}
	st, err := openStore(gs, c.db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := bootstrapAdmin(gs, st, c.db); err != nil {
		return err
	}
	cfg.Store = st
	hub, err := server.New(gs.Ctx, cfg)
	if err != nil {
		var ce *telegram.ConfigError
		if errors.As(err, &ce) {
			return invalid(err)
		}
		return internal(err)
	}
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return invalidf("--listen %s: %v", c.listen, err)
	}
	if err := hub.Start(gs.Ctx); err != nil {
		ln.Close()
		hub.Stop() // waits for what did start before the store closes
		if gs.Ctx.Err() != nil {
			return nil // Ctrl-C while starting: a clean stop, not a failure
		}
		return internal(err)
	}
	defer hub.Stop()
	srv := &http.Server{Handler: hub.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(gs.Stdout, "golive hub at http://%s (database: %s, %d workers%s); Ctrl-C to stop\n",
		ln.Addr(), st.Dialect(), c.workers, botNote(cfg))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return internal(fmt.Errorf("serve: %w", err))
	case <-gs.Ctx.Done():
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx) // streams still open are cut: their runs go on
	return nil
}

func botNote(cfg server.Config) string {
	if cfg.Telegram != nil {
		return ", Telegram bot on"
	}
	return ""
}
