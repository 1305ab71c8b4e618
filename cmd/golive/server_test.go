package main_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/golive-cert/golive/server/store"
)

const hubKey = "q2hQ8b3b6mQ0cVqC2q6bq3Cw6vYy0rZ4lq8bYqkqYt8=" // a test key, 32 bytes

var _ = Describe("golive server", func() {
	It("starts on a new SQLite file with no set-up: its key and the first admin's password in owner-only files, never printed", func() {
		db := scratchDB()
		path := strings.TrimPrefix(db, "sqlite:")
		// A stale password file, readable by all, is replaced, not reused.
		Expect(os.WriteFile(path+".first-admin", []byte("stale"), 0o644)).To(Succeed())
		addr := freeAddr()
		hub := startGolive(minimalEnv(), "server", "--db", db, "--listen", addr)
		waitServing(hub)
		stop := func(h *cliRun) {
			h.Interrupt()
			Eventually(h, 20*time.Second).Should(gexec.Exit(0))
		}
		stop(hub)
		for _, f := range []string{path + ".key", path + ".first-admin"} {
			fi, err := os.Stat(f)
			Expect(err).NotTo(HaveOccurred())
			Expect(fi.Mode().Perm()).To(Equal(os.FileMode(0o600)), f)
		}
		Expect(stdout(hub)).To(ContainSubstring("Created the first admin, admin@golive.local: its password is in " + path + ".first-admin"))
		Expect(stderr(hub)).To(ContainSubstring("sealed with the key in " + path + ".key"))
		data, err := os.ReadFile(path + ".first-admin")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).NotTo(ContainSubstring("stale"))
		password := strings.TrimSpace(strings.SplitN(string(data), "password: ", 2)[1])
		key, err := os.ReadFile(path + ".key")
		Expect(err).NotTo(HaveOccurred())
		for _, secret := range []string{password, strings.TrimSpace(string(key))} {
			Expect(stdout(hub) + stderr(hub)).NotTo(ContainSubstring(secret))
		}

		By("the password signs in, and the key opens the secrets it sealed")
		kr, err := store.KeyringFromFile(path + ".key")
		Expect(err).NotTo(HaveOccurred())
		st, err := store.Open(context.Background(), db, store.WithKeyring(kr))
		Expect(err).NotTo(HaveOccurred())
		_, err = st.Authenticate(context.Background(), "admin@golive.local", password)
		Expect(err).NotTo(HaveOccurred())
		st.Close()

		By("a restart makes nothing new")
		again := startGolive(minimalEnv(), "server", "--db", db, "--listen", addr)
		waitServing(again)
		stop(again)
		Expect(stdout(again)).NotTo(ContainSubstring("Created the first admin"))
		Expect(stderr(again)).NotTo(ContainSubstring("made now"))
		got, err := os.ReadFile(path + ".key")
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(Equal(key))
	})

	It("resets a lost password on the hub's host: a new random one in an owner-only file, never printed", func() {
		db := scratchDB()
		path := strings.TrimPrefix(db, "sqlite:")
		addr := freeAddr()
		hub := startGolive(minimalEnv(), "server", "--db", db, "--listen", addr)
		waitServing(hub)
		hub.Interrupt()
		Eventually(hub, 20*time.Second).Should(gexec.Exit(0))
		first, err := os.ReadFile(path + ".first-admin")
		Expect(err).NotTo(HaveOccurred())
		Expect(os.Remove(path + ".first-admin")).To(Succeed()) // lost

		out := filepath.Join(GinkgoT().TempDir(), "new-password")
		Expect(os.WriteFile(out, []byte("stale"), 0o644)).To(Succeed())
		s := golive(exitCertified, minimalEnv(), "user", "reset-password", "ADMIN@golive.local", "--db", db, "--out", out)
		Expect(stdout(s)).To(ContainSubstring("New password for admin@golive.local written to " + out))
		fi, err := os.Stat(out)
		Expect(err).NotTo(HaveOccurred())
		Expect(fi.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		data, err := os.ReadFile(out)
		Expect(err).NotTo(HaveOccurred())
		password := strings.TrimSpace(strings.SplitN(string(data), "password: ", 2)[1])
		Expect(stdout(s) + stderr(s)).NotTo(ContainSubstring(password))

		kr, err := store.KeyringFromFile(path + ".key")
		Expect(err).NotTo(HaveOccurred())
		st, err := store.Open(context.Background(), db, store.WithKeyring(kr))
		Expect(err).NotTo(HaveOccurred())
		defer st.Close()
		_, err = st.Authenticate(context.Background(), "admin@golive.local", password)
		Expect(err).NotTo(HaveOccurred())
		old := strings.TrimSpace(strings.SplitN(string(first), "password: ", 2)[1])
		_, err = st.Authenticate(context.Background(), "admin@golive.local", old)
		Expect(err).To(HaveOccurred(), "the lost password no longer works")

		By("refusing, in one line, an unknown account and a missing --out")
		s = golive(exitInvalid, minimalEnv(), "user", "reset-password", "nobody@bau.example", "--db", db, "--out", out)
		Expect(nonEmptyLines(stderr(s))).To(ConsistOf(ContainSubstring(`no hub account "nobody@bau.example"`)))
		s = golive(exitInvalid, minimalEnv(), "user", "reset-password", "admin@golive.local", "--db", db)
		Expect(nonEmptyLines(stderr(s))).To(ConsistOf(ContainSubstring("--out FILE is required")))
	})

	It("refuses to start without a secret key where it cannot keep one, and a bad first admin, with the line that fixes it", func() {
		By("PostgreSQL: the key lives apart from the data (refused before connecting)")
		s := golive(exitInvalid, minimalEnv(), "server", "--db", "postgres://golive@127.0.0.1:1/none", "--listen", "127.0.0.1:0")
		Expect(nonEmptyLines(stderr(s))).To(ConsistOf(ContainSubstring("GOLIVE_SECRET_KEY is not set")))
		By("an existing database sealed with a key from the environment, started without it")
		db := scratchDB()
		env := minimalEnv("GOLIVE_SECRET_KEY="+hubKey, "GOLIVE_ADMIN_EMAIL=lead@bau.example", "GOLIVE_ADMIN_PASSWORD=correct horse battery")
		addr := freeAddr()
		hub := startGolive(env, "server", "--db", db, "--listen", addr)
		waitServing(hub)
		hub.Interrupt()
		Eventually(hub, 20*time.Second).Should(gexec.Exit(0))
		s = golive(exitInvalid, minimalEnv(), "server", "--db", db, "--listen", "127.0.0.1:0")
		Expect(nonEmptyLines(stderr(s))).To(ConsistOf(ContainSubstring("GOLIVE_SECRET_KEY is not set")))
		Expect(strings.TrimPrefix(db, "sqlite:")+".key").NotTo(BeAnExistingFile(), "no new key for data sealed with another")
		By("a first admin from the environment with a short password")
		s = golive(exitInvalid, minimalEnv("GOLIVE_SECRET_KEY="+hubKey, "GOLIVE_ADMIN_EMAIL=a@b.example",
			"GOLIVE_ADMIN_PASSWORD=short"), "server", "--db", scratchDB(), "--listen", "127.0.0.1:0")
		Expect(stderr(s)).To(ContainSubstring("12 characters"))
	})

	It("refuses a tools.yaml with problems at FILE:LINE, and --tools without the bot", func() {
		bad := filepath.Join(GinkgoT().TempDir(), "tools.yaml")
		Expect(os.WriteFile(bad, []byte("tools:\n  - name: x\n    methd: GET\n"), 0o600)).To(Succeed())
		env := minimalEnv("GOLIVE_SECRET_KEY="+hubKey, "GOLIVE_ADMIN_EMAIL=lead@bau.example",
			"GOLIVE_ADMIN_PASSWORD=correct horse battery", "GOLIVE_TELEGRAM_TOKEN=1:never-used")
		db := scratchDB()
		s := golive(exitInvalid, env, "server", "--db", db, "--listen", "127.0.0.1:0", "--tools", bad)
		Expect(stderr(s)).To(ContainSubstring("tools.yaml:3: unknown key \"methd\""))
		Expect(stderr(s)).NotTo(ContainSubstring("never-used"))
		Expect(strings.TrimPrefix(db, "sqlite:")).NotTo(BeAnExistingFile(), "refused before the database is touched")
		s = golive(exitInvalid, minimalEnv("GOLIVE_SECRET_KEY="+hubKey, "GOLIVE_ADMIN_EMAIL=lead@bau.example",
			"GOLIVE_ADMIN_PASSWORD=correct horse battery"), "server", "--db", db, "--listen", "127.0.0.1:0", "--tools", bad)
		Expect(nonEmptyLines(stderr(s))).To(ConsistOf(ContainSubstring("--tools needs GOLIVE_TELEGRAM_TOKEN")))
		Expect(strings.TrimPrefix(db, "sqlite:")).NotTo(BeAnExistingFile(), "refused before the database is touched")
	})

	It("refuses a malformed --advertise-url, and one without --worker-name, in one line", func() {
		env := minimalEnv("GOLIVE_SECRET_KEY="+hubKey, "GOLIVE_ADMIN_EMAIL=lead@bau.example",
			"GOLIVE_ADMIN_PASSWORD=correct horse battery")
		s := golive(exitInvalid, env, "server", "--db", scratchDB(), "--listen", "127.0.0.1:0", "--advertise-url", "10.0.0.5:8080", "--worker-name", "a")
		Expect(nonEmptyLines(stderr(s))).To(ConsistOf(ContainSubstring(`--advertise-url "10.0.0.5:8080": want this replica's address`)))
		s = golive(exitInvalid, env, "server", "--db", scratchDB(), "--listen", "127.0.0.1:0", "--advertise-url", "http://10.0.0.5:8080")
		Expect(nonEmptyLines(stderr(s))).To(ConsistOf(ContainSubstring("--advertise-url needs --worker-name")))
	})

	DescribeTable("refuses a --keep-artifacts it cannot read, in one line",
		func(value, want string) {
			env := minimalEnv("GOLIVE_SECRET_KEY="+hubKey, "GOLIVE_ADMIN_EMAIL=lead@bau.example",
				"GOLIVE_ADMIN_PASSWORD=correct horse battery")
			db := scratchDB()
			s := golive(exitInvalid, env, "server", "--db", db, "--listen", "127.0.0.1:0", "--keep-artifacts", value)
			Expect(nonEmptyLines(stderr(s))).To(ConsistOf(And(ContainSubstring(`--keep-artifacts "`+value+`"`), ContainSubstring(want))))
			Expect(strings.TrimPrefix(db, "sqlite:")).NotTo(BeAnExistingFile(), "refused before the database is touched")
		},
		Entry("not a duration", "half a year", "want a number of days such as 180d"),
		Entry("days that are not a number", "xd", "want a number of days such as 180d"),
		Entry("under an hour", "10m", "at least an hour"),
	)

	Describe("a start that cannot go on", func() {
		// hubFiles are what a first start on a new SQLite file makes.
		hubFiles := func(db string) []string {
			path := strings.TrimPrefix(db, "sqlite:")
			return []string{path, path + ".key", path + ".first-admin", path + "-wal", path + "-shm"}
		}
		expectNothingMade := func(db string) {
			GinkgoHelper()
			for _, f := range hubFiles(db) {
				Expect(f).NotTo(BeAnExistingFile(), "a refused start leaves no half-made hub")
			}
		}
		// No key and no admin in the environment: a first start would make
		// the key file and the first admin's password file.
		bare := func(extra ...string) []string { return minimalEnv(extra...) }

		It("refuses a tool named like a bot command before anything is made, with exit code 2", func() {
			toolsFile := filepath.Join(GinkgoT().TempDir(), "tools.yaml")
			Expect(os.WriteFile(toolsFile, []byte("tools:\n  - {name: start, description: d, method: GET, url: \"http://127.0.0.1:1/\"}\n"), 0o600)).To(Succeed())
			db := scratchDB()
			s := golive(exitInvalid, bare("GOLIVE_TELEGRAM_TOKEN=1:never-used"), "server", "--db", db, "--listen", "127.0.0.1:0", "--tools", toolsFile)
			Expect(nonEmptyLines(stderr(s))).To(ConsistOf(ContainSubstring(`tools.yaml:2: tool "start" has the name of a built-in command`)))
			expectNothingMade(db)
		})

		It("names a SQLite file's missing directory, and an unsupported database before the secret key, with exit code 2", func() {
			missing := filepath.Join(GinkgoT().TempDir(), "nonexistent", "dir")
			db := "sqlite:" + filepath.Join(missing, "x.db")
			s := golive(exitInvalid, bare(), "server", "--db", db, "--listen", "127.0.0.1:0")
			Expect(nonEmptyLines(stderr(s))).To(ConsistOf(ContainSubstring("the directory " + missing + " does not exist")))
			s = golive(exitInvalid, bare("GOLIVE_SECRET_KEY="+hubKey), "server", "--db", db, "--listen", "127.0.0.1:0")
			Expect(nonEmptyLines(stderr(s))).To(ConsistOf(ContainSubstring("the directory " + missing + " does not exist")))
			Expect(missing).NotTo(BeADirectory())

			s = golive(exitInvalid, bare(), "server", "--db", "mysql://x", "--listen", "127.0.0.1:0")
			Expect(nonEmptyLines(stderr(s))).To(ConsistOf(And(ContainSubstring(`--db "mysql://x"`),
				ContainSubstring("PostgreSQL URL"), Not(ContainSubstring("GOLIVE_SECRET_KEY")))))
		})

		It("refuses an address it cannot serve before anything is made", func() {
			db := scratchDB()
			s := golive(exitInvalid, bare(), "server", "--db", db, "--listen", "nota")
			Expect(nonEmptyLines(stderr(s))).To(ConsistOf(ContainSubstring("--listen nota: ")))
			expectNothingMade(db)

			busy, err := net.Listen("tcp", "127.0.0.1:0")
			Expect(err).NotTo(HaveOccurred())
			defer busy.Close()
			s = golive(exitInvalid, bare(), "server", "--db", db, "--listen", busy.Addr().String())
			Expect(nonEmptyLines(stderr(s))).To(ConsistOf(ContainSubstring("the address is in use")))
			expectNothingMade(db)
		})

		DescribeTable("refuses flags a hub cannot run with, in one line, before anything is made",
			func(flag, value, want string) {
				db := scratchDB()
				s := golive(exitInvalid, bare(), "server", "--db", db, "--listen", "127.0.0.1:0", flag, value)
				Expect(nonEmptyLines(stderr(s))).To(ConsistOf(And(ContainSubstring(flag), ContainSubstring(want))))
				expectNothingMade(db)
			},
			Entry("no workers", "--workers", "0", "want at least 1"),
			Entry("fewer than none", "--workers", "-3", "want at least 1"),
			Entry("a public URL that is no URL", "--public-url", "notaurl", "want an absolute http(s) URL"),
			Entry("a public URL with a password", "--public-url", "https://u:p@hub.example", "no user name or password"),
		)

		It("removes what a failed first start made, when the refusal can only come from the database", func() {
			db := scratchDB()
			s := golive(exitInvalid, bare("GOLIVE_ADMIN_EMAIL=not an email", "GOLIVE_ADMIN_PASSWORD=correct horse battery"),
				"server", "--db", db, "--listen", "127.0.0.1:0")
			Expect(stderr(s)).To(ContainSubstring("email address is not valid"))
			Expect(stderr(s)).To(ContainSubstring("removed what this start made"))
			expectNothingMade(db)

			By("a first admin's password the store would refuse is refused before the database")
			s = golive(exitInvalid, bare("GOLIVE_ADMIN_EMAIL=a@b.example", "GOLIVE_ADMIN_PASSWORD=short"),
				"server", "--db", db, "--listen", "127.0.0.1:0")
			Expect(nonEmptyLines(stderr(s))).To(ConsistOf(ContainSubstring("12 characters")))
			expectNothingMade(db)

			By("the next start is a first start, which works")
			addr := freeAddr()
			hub := startGolive(bare(), "server", "--db", db, "--listen", addr)
			waitServing(hub)
			hub.Interrupt()
			Eventually(hub, 20*time.Second).Should(gexec.Exit(0))
			Expect(stdout(hub)).To(ContainSubstring("Created the first admin"))
		})
	})

	It("serves the hub; golive run --publish uploads a run into the partner's history; golive partner link prints a code", func() {
		db := "sqlite:" + filepath.Join(GinkgoT().TempDir(), "hub.db")
		addr := freeAddr()
		env := minimalEnv("GOLIVE_SECRET_KEY="+hubKey, "GOLIVE_ADMIN_EMAIL=lead@bau.example",
			"GOLIVE_ADMIN_PASSWORD=correct horse battery")
		hub := startGolive(env, "server", "--db", db, "--listen", addr)
		DeferCleanup(func() {
			hub.Interrupt()
			Eventually(hub, 20*time.Second).Should(gexec.Exit(0))
		})
		Expect(waitListening(hub, addr)).To(BeTrue(), stderr(hub))

		// The partner and its CI token, made on the hub's database.
		ctx := context.Background()
		kr, err := store.KeyringFromEnv(func(string) string { return hubKey })
		Expect(err).NotTo(HaveOccurred())
		st, err := store.Open(ctx, db, store.WithKeyring(kr))
		Expect(err).NotTo(HaveOccurred())
		defer st.Close()
		pt, err := st.CreatePartner(ctx, store.System(), store.PartnerInput{Name: "Acme Pay"})
		Expect(err).NotTo(HaveOccurred())
		u, err := st.CreateUser(ctx, store.System(), store.NewUser{Email: "ci@acme.example", Name: "CI",
			Role: store.RolePartner, PartnerID: pt.ID})
		Expect(err).NotTo(HaveOccurred())
		token, _, err := st.CreateAPIToken(ctx, store.PrincipalOf(u), u.ID, "ci", time.Time{})
		Expect(err).NotTo(HaveOccurred())

		target := startSandbox()
		out := filepath.Join(GinkgoT().TempDir(), "out")
		s := golive(exitCertified, credsEnv("GOLIVE_PUBLISH_TOKEN="+token), "run", "--spec", "collections",
			"--target", target, "--out", out, "--publish", "http://"+addr)
		Expect(stderr(s)).To(ContainSubstring("Published to http://" + addr + "/runs/"))
		Expect(stdout(s) + stderr(s)).NotTo(ContainSubstring(token))

		req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/partners/"+pt.ID+"/runs", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		var runs []map[string]any
		Expect(json.NewDecoder(resp.Body).Decode(&runs)).To(Succeed())
		Expect(runs).To(HaveLen(1))
		Expect(runs[0]["source"]).To(Equal("cli-publish"))
		Expect(runs[0]["verdict"]).To(Equal("CERTIFIED"))

		s = golive(4 /* internal: the upload failed */, credsEnv("GOLIVE_PUBLISH_TOKEN=glv_wrong"), "run", "--spec", "collections",
			"--target", target, "--out", filepath.Join(GinkgoT().TempDir(), "o2"), "--publish", "http://"+addr)
		Expect(stderr(s)).To(ContainSubstring("the hub answered 401"))
		Expect(stderr(s)).NotTo(ContainSubstring("glv_wrong"))

		link := golive(exitCertified, minimalEnv("GOLIVE_SECRET_KEY="+hubKey), "partner", "link", "acme pay", "--db", db)
		Expect(stdout(link)).To(MatchRegexp(`/start \S{16}`))
	})
})

// freeAddr is a loopback address nothing listens on yet.
func freeAddr() string {
	GinkgoHelper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := l.Addr().String()
	Expect(l.Close()).To(Succeed())
	return addr
}

// waitListening waits until addr accepts connections, or golive ends.
// waitServing waits until the hub says it serves: started, not only
// listening (the port is bound before the hub has started).
func waitServing(run *cliRun) {
	GinkgoHelper()
	Eventually(run.Out, exitTimeout).Should(gbytes.Say("golive hub at "), "stderr: %s", stderr(run))
}

func waitListening(run *cliRun, addr string) bool {
	GinkgoHelper()
	listening := func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
	Eventually(func() bool { return listening() || run.ExitCode() >= 0 }, exitTimeout).Should(BeTrue())
	return listening()
}

// scratchDB is a hub database in the spec's temporary folder: in-process,
// the default (golive.db in the working directory) would land in the
// repository.
func scratchDB() string { return "sqlite:" + filepath.Join(GinkgoT().TempDir(), "hub.db") }
