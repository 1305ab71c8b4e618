package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
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
	// What the bot would refuse when the hub makes it (a tool named like
	// a built-in command, a bad Bot API URL) is refused now, before the
	// database is touched.
	if err := telegram.Check(*cfg.Telegram); err != nil {
		var le *tools.LoadError
		if errors.As(err, &le) {
			return invalidf("--tools: %v", err)
		}
		return invalid(err)
	}
	return nil
}

func (c *serverCmd) run(gs *GlobalState) (err error) {
	// Every flag, file and setting is checked, and the address bound,
	// before the database is touched, so a refusal leaves nothing behind.
	cfg, err := c.config(gs)
	if err != nil {
		return err
	}
	dbPath, sqlite, err := c.checkDB()
	if err != nil {
		return err
	}
	if err := checkAdminEnv(gs); err != nil {
		return err
	}
	// The address is tried now, so a bad or busy one is refused before
	// the database is touched, and bound once the database is ready: the
	// port accepts connections only from a hub whose database is migrated
	// (an operator's script may wait for it, then use the database).
	if err := probeListen(c.listen); err != nil {
		return err
	}
	// A start that fails after it made a new SQLite hub (a database that
	// cannot be opened, a first admin the store refuses) removes what it
	// made, so the next start is a first start again, not a hub half made
	// (a key file without data, a database without its admin).
	if sqlite && !exists(dbPath) {
		made := newHubFiles(dbPath)
		defer func() {
			if err != nil {
				made.remove(gs)
			}
		}()
	}
	st, err := openStore(gs, c.db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := bootstrapAdmin(gs, st, c.db); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.listen)
	if err != nil { // taken since it was tried
		return invalidf("--listen %s: %v", c.listen, listenProblem(err))
	}
	defer func() {
		if err != nil {
			ln.Close()
		}
	}()
	cfg.Store = st
	hub, err := server.New(gs.Ctx, cfg)
	if err != nil {
		var ce *telegram.ConfigError
		var le *tools.LoadError
		if errors.As(err, &ce) || errors.As(err, &le) {
			return invalid(err)
		}
		return internal(err)
	}
	if err := hub.Start(gs.Ctx); err != nil {
		hub.Stop() // waits for what did start before the store closes
		if gs.Ctx.Err() != nil {
			ln.Close()
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

// config reads the flags and the bot's settings into the hub's Config,
// refusing what the hub could not run with.
func (c *serverCmd) config(gs *GlobalState) (server.Config, error) {
	if c.workers < 1 {
		return server.Config{}, invalidf("--workers %d: want at least 1 (runs carried out at once; the rest wait in the queue)", c.workers)
	}
	if c.publicURL != "" {
		if err := checkHubURL(c.publicURL); err != nil {
			return server.Config{}, invalidf("--public-url %q: %v, such as https://hub.bau.example", c.publicURL, err)
		}
	}
	if c.advertiseURL != "" {
		switch {
		case checkHubURL(c.advertiseURL) != nil:
			return server.Config{}, invalidf("--advertise-url %q: want this replica's address as the others reach it, such as http://10.0.0.5:8080", c.advertiseURL)
		case c.workerName == "":
			return server.Config{}, invalidf("--advertise-url needs --worker-name: the replicas tell whose UAT session it is by name")
		}
	}
	keep, err := parseRetention(c.keepArtifacts)
	if err != nil {
		return server.Config{}, invalidf("--keep-artifacts %q: %v", c.keepArtifacts, err)
	}
	cfg := server.Config{Logger: slog.New(slog.NewTextHandler(gs.Stderr, nil)), Workers: c.workers,
		WorkerName: c.workerName, PublicURL: c.publicURL, AdvertiseURL: c.advertiseURL,
		InsecureCookies: c.insecureCookies, Version: gs.Version, KeepArtifacts: keep}
	if err := c.telegramConfig(gs, &cfg); err != nil {
		return server.Config{}, err
	}
	return cfg, nil
}

// checkHubURL wants an absolute http(s) URL with a host and nothing a
// base address has no use for.
func checkHubURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		return errors.New("want an absolute http(s) URL")
	case u.User != nil:
		return errors.New("want no user name or password in it")
	case u.RawQuery != "" || u.Fragment != "":
		return errors.New("want no query or fragment")
	}
	return nil
}

// checkDB reads --db without touching the database: the scheme first,
// then, for a SQLite file, its directory.
func (c *serverCmd) checkDB() (path string, sqlite bool, err error) {
	if err := store.CheckURL(c.db); err != nil {
		return "", false, invalidf("--db %q: want a SQLite file (a path, or sqlite:PATH) or a PostgreSQL URL (postgres://...)", c.db)
	}
	path, sqlite = store.SQLiteFile(c.db)
	if !sqlite {
		return "", false, nil
	}
	dir := filepath.Dir(path)
	switch fi, err := os.Stat(dir); {
	case err != nil && errors.Is(err, fs.ErrNotExist):
		return "", false, invalidf("--db %s: the directory %s does not exist: create it, or give a file in another", c.db, dir)
	case err != nil:
		return "", false, invalidf("--db %s: the directory %s cannot be read: %v", c.db, dir, errors.Unwrap(err))
	case !fi.IsDir():
		return "", false, invalidf("--db %s: %s is not a directory", c.db, dir)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return "", false, invalidf("--db %s: %s is a directory: give a file in it, such as %s", c.db, path, filepath.Join(path, "golive.db"))
	}
	return path, true, nil
}

// checkAdminEnv refuses a first admin from the environment that the store
// would refuse (its password is checked even when the hub has users).
func checkAdminEnv(gs *GlobalState) error {
	email, _ := gs.LookupEnv(envAdminEmail)
	password, _ := gs.LookupEnv(envAdminPassword)
	if email != "" && password != "" && utf8.RuneCountInString(password) < store.MinPassword {
		return invalidf("%s/%s: %v", envAdminEmail, envAdminPassword, &store.PasswordError{Whose: "the first admin's"})
	}
	return nil
}

// probeListen binds the address and lets it go: a bad or busy address is
// refused before anything is made.
func probeListen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return invalidf("--listen %s: %v", addr, listenProblem(err))
	}
	_ = ln.Close()
	return nil
}

// listenProblem says why an address cannot be served, in the words an
// operator acts on.
func listenProblem(err error) string {
	if errors.Is(err, syscall.EADDRINUSE) {
		return "the address is in use: another process serves it (an earlier hub?); stop it or choose another --listen"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error() + " (want HOST:PORT, such as 127.0.0.1:8080)"
	}
	return err.Error()
}

// hubFiles are what a first start on a new SQLite file makes: the
// database (and its WAL files), the key file, the first admin's password
// file. Those that did not exist before the start are removed when it
// fails.
type hubFiles struct{ paths []string }

func newHubFiles(dbPath string) *hubFiles {
	h := &hubFiles{}
	for _, p := range []string{dbPath, dbPath + "-wal", dbPath + "-shm", dbPath + "-journal",
		store.KeyFile(dbPath), dbPath + ".first-admin"} {
		if !exists(p) {
			h.paths = append(h.paths, p)
		}
	}
	return h
}

func (h *hubFiles) remove(gs *GlobalState) {
	var removed []string
	for _, p := range h.paths {
		if err := os.Remove(p); err == nil {
			removed = append(removed, p)
		}
	}
	if len(removed) > 0 {
		fmt.Fprintf(gs.Stderr, "The hub did not start: removed what this start made (%s).\n", strings.Join(removed, ", "))
	}
}

func botNote(cfg server.Config) string {
	if cfg.Telegram != nil {
		return ", Telegram bot on"
	}
	return ""
}
