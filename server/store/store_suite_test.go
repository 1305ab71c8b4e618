package store_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/exitcode"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/server/store"
)

func TestStore(t *testing.T) {
	RegisterFailHandler(Fail)
	if os.Getenv(envPostgresURL) == "" && os.Getenv("CI") != "true" {
		t.Log("skipping the PostgreSQL specs: " + envPostgresURL + " is unset (.ci/run starts a PostgreSQL); SQLite specs run")
	}
	RunSpecs(t, "Store Suite")
}

// envPostgresURL names the PostgreSQL the tests use (.ci/run starts one).
const envPostgresURL = "GOLIVE_TEST_POSTGRES_URL"

// backend opens a fresh, empty store for one spec.
type backend struct {
	name string
	// open returns the URL of a fresh empty database and a cleanup.
	fresh func() (url string, cleanup func())
}

// backends lists SQLite always, and PostgreSQL when one is configured.
func backends() []backend {
	return []backend{
		{name: "sqlite", fresh: func() (string, func()) {
			return "sqlite:" + filepath.Join(GinkgoT().TempDir(), "golive.db"), func() {}
		}},
		{name: "postgres", fresh: freshPostgres},
	}
}

// freshPostgres gives each spec its own schema on the test server (much
// cheaper than a database per spec) through pgx's search_path parameter.
func freshPostgres() (string, func()) {
	base := os.Getenv(envPostgresURL)
	if base == "" {
		if os.Getenv("CI") == "true" {
			Fail(envPostgresURL + " is unset under CI: .ci/run must start PostgreSQL for the store tests")
		}
		Skip("skipping PostgreSQL: " + envPostgresURL + " is unset (.ci/run starts one; SQLite specs still run)")
	}
	schema := "t_" + randomHex(8)
	admin, err := sql.Open("pgx", base)
	Expect(err).NotTo(HaveOccurred())
	_, err = admin.Exec(`CREATE SCHEMA ` + schema)
	Expect(err).NotTo(HaveOccurred())
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema, func() {
		_, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		_ = admin.Close()
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func testKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

// env is what each spec gets: an open store over a fresh database, the
// keyring, and a few principals.
type env struct {
	s     *store.Store
	url   string
	key   []byte
	ctx   context.Context
	admin store.Principal
	bau   store.Principal
	sys   store.Principal
}

func openEnv(b backend) *env {
	url, cleanup := b.fresh()
	DeferCleanup(cleanup)
	key := testKey()
	kr, err := store.NewKeyring(key)
	Expect(err).NotTo(HaveOccurred())
	ctx := context.Background()
	s, err := store.Open(ctx, url, store.WithKeyring(kr))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s.Close)
	e := &env{s: s, url: url, key: key, ctx: ctx, sys: store.System()}
	admin, created, err := s.BootstrapAdmin(ctx, "admin@bau.example", "correct horse battery")
	Expect(err).NotTo(HaveOccurred())
	Expect(created).To(BeTrue())
	e.admin = store.PrincipalOf(admin)
	bau, err := s.CreateUser(ctx, e.admin, store.NewUser{Email: "lead@bau.example", Name: "Lead", Role: store.RoleBAU})
	Expect(err).NotTo(HaveOccurred())
	e.bau = store.PrincipalOf(bau)
	return e
}

// partner creates a partner with one API and a partner user.
func (e *env) partner(name string) (store.Partner, store.Principal) {
	pt, err := e.s.CreatePartner(e.ctx, e.bau, store.PartnerInput{Name: name,
		Contacts: []store.Contact{{Name: "Dev", Email: "dev@" + strings.ToLower(name) + ".example"}}})
	Expect(err).NotTo(HaveOccurred())
	Expect(e.s.SetPartnerAPIs(e.ctx, e.bau, pt.ID, []string{"collections"})).To(Succeed())
	u, err := e.s.CreateUser(e.ctx, e.bau, store.NewUser{Email: "user@" + strings.ToLower(name) + ".example",
		Name: name + " user", Role: store.RolePartner, PartnerID: pt.ID})
	Expect(err).NotTo(HaveOccurred())
	return pt, store.PrincipalOf(u)
}

// item is a compact item for resultsDoc.
type item struct {
	id     string
	status results.Status
	sev    results.Severity
}

// resultsDoc renders a golive.results/v1 document with the given items for
// the collections API and a verdict.
func resultsDoc(verdict results.VerdictStatus, items ...item) []byte {
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	run := results.Run{Schema: results.Schema, Tool: results.Tool{Name: "golive", Version: "test"},
		RunID: "run-" + randomHex(4), Target: results.Target{BaseURL: "https://partner.example", Environment: "staging"},
		APIs:      []results.API{{Name: "collections", Title: "Collections"}},
		StartedAt: start, FinishedAt: start.Add(42 * time.Second), DurationMs: 42000,
		Verdict: results.Verdict{Status: verdict, ExitCode: exitcode.Code(exitCode(verdict))},
		Summary: results.Summary{BySeverity: map[results.Severity]results.Tally{}, ByCategory: map[results.Category]int{}}}
	for _, it := range items {
		ri := results.Item{ID: it.id, API: "collections", Title: it.id, Kind: "check", Severity: it.sev, Status: it.status,
			StartedAt: start}
		if it.status == results.Fail {
			ri.Category = results.Integration
		}
		run.Items = append(run.Items, ri)
		run.Summary.Total++
		switch it.status {
		case results.Pass:
			run.Summary.Passed++
		case results.Fail:
			run.Summary.Failed++
		case results.Error:
			run.Summary.Errored++
		case results.Skip:
			run.Summary.Skipped++
		}
	}
	// Indented, with a trailing newline: the store must keep these bytes
	// exactly, not a re-encoding.
	b, err := json.MarshalIndent(run, "", "  ")
	Expect(err).NotTo(HaveOccurred())
	return append(b, '\n')
}

func exitCode(v results.VerdictStatus) int {
	switch v {
	case results.Certified, results.CertifiedWithObservations:
		return 0
	case results.NotCertified:
		return 1
	}
	return 3
}

func certifiedDoc() []byte {
	return resultsDoc(results.Certified,
		item{"col.initiate", results.Pass, results.Critical},
		item{"col.status", results.Pass, results.Major},
		item{"col.callback", results.Pass, results.Minor})
}

func notCertifiedDoc() []byte {
	return resultsDoc(results.NotCertified,
		item{"col.initiate", results.Pass, results.Critical},
		item{"col.status", results.Fail, results.Major},
		item{"col.callback", results.Fail, results.Minor})
}

// publish stores a finished run for the partner.
func (e *env) publish(partnerID string, doc []byte) store.Run {
	r, err := e.s.PublishRun(e.ctx, e.bau, store.Publication{PartnerID: partnerID, Results: doc,
		Artifacts: []store.Artifact{{Name: "report.html", ContentType: "text/html", Content: []byte("<html>ok</html>")}}})
	Expect(err).NotTo(HaveOccurred())
	return r
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// failItems makes every insert into item_results fail (standing in for a
// full disk or a dropped connection at the end of a run's transaction).
func failItems(e *env) {
	var err error
	if e.s.Dialect() == "postgres" {
		_, err = e.s.DB().ExecContext(e.ctx, `CREATE FUNCTION fail_items() RETURNS trigger LANGUAGE plpgsql AS
			$$ BEGIN RAISE EXCEPTION 'no space left on device (test)'; END $$`)
		Expect(err).NotTo(HaveOccurred())
		_, err = e.s.DB().ExecContext(e.ctx, `CREATE TRIGGER fail_items BEFORE INSERT ON item_results
			FOR EACH ROW EXECUTE FUNCTION fail_items()`)
	} else {
		_, err = e.s.DB().ExecContext(e.ctx, `CREATE TRIGGER fail_items BEFORE INSERT ON item_results
			BEGIN SELECT RAISE(ABORT, 'no space left on device (test)'); END`)
	}
	Expect(err).NotTo(HaveOccurred())
}

func unfailItems(e *env) {
	q := `DROP TRIGGER fail_items`
	if e.s.Dialect() == "postgres" {
		q += ` ON item_results`
	}
	_, err := e.s.DB().ExecContext(e.ctx, q)
	Expect(err).NotTo(HaveOccurred())
}
