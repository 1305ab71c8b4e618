package telegram_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/golive-cert/golive/internal/testlog"
	"github.com/golive-cert/golive/telegram"
	"github.com/golive-cert/golive/telegram/botapitest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("/uat: the partner's own client UAT sessions", func() {
	var e *env
	BeforeEach(func() {
		e = startBot(nil)
		e.link(alice, "acme")
		e.link(bob, "globex")
	})

	// uat says a /uat command and returns the reply and its audit entry.
	// The bot records a command just after sending its reply, so it first
	// waits until every command answered so far (one message each here) is
	// recorded.
	uat := func(chat botapitest.Chat, text string) (string, telegram.AuditEntry) {
		GinkgoHelper()
		answered := func() int {
			n := 0
			for _, s := range e.srv.Sent() {
				if s.Method == "sendMessage" {
					n++
				}
			}
			return n
		}
		Eventually(func() int { return len(e.hub.Audit()) }).Should(Equal(answered()))
		before := len(e.hub.Audit())
		reply := e.say(chat, text)
		Eventually(func() int { return len(e.hub.Audit()) }).Should(BeNumerically(">", before))
		a := e.hub.Audit()[before]
		Expect(a.Action).To(Equal("/uat"))
		return reply, a
	}

	It("opens a session in a private chat with the base URL, the credentials, the deadline and the cases", func() {
		reply, a := uat(alice, "/uat open collections deadline=2h")
		Expect(reply).To(And(
			HavePrefix("UAT session uat0001 is open for collections."),
			ContainSubstring("Base URL: https://hub.example/uat/uat0001\n"),
			ContainSubstring("client-id: uat-client-uat0001\n"),
			ContainSubstring("api-key: uat-apikey-uat0001-SECRET\n"),
			ContainSubstring("checksum key: uat-checksum-uat0001-SECRET\n"),
			ContainSubstring("Deadline: 2026-03-01 12:00 UTC"),
			ContainSubstring("Cases to play (3):\ncollections.success — A payment that succeeds: amount 1000.00\n"),
			ContainSubstring("/uat close uat0001"),
		))
		Expect(a.Outcome).To(Equal(telegram.AuditOK))
		Expect(a.Params).To(Equal(map[string]string{"apis": "collections", "deadline": "2h", "session": "uat0001"}))
	})

	It("opens every API a session covers when none is named, with no deadline", func() {
		reply, a := uat(alice, "/uat open")
		Expect(reply).To(And(HavePrefix("UAT session uat0001 is open for collections, payouts."),
			ContainSubstring("Deadline: none"), ContainSubstring("payouts.maintenance")))
		Expect(a.Params).To(HaveKeyWithValue("apis", "collections,payouts"))
		Expect(e.hub.UATOpenedFrom("uat0001")).To(Equal(telegram.ChatID(alice.ID)), "the hub is told which chat (so which user) asks")
	})

	It("refuses to open a session in a group chat, and opens nothing", func() {
		e.link(acmeGroup, "acme")
		reply, a := uat(acmeGroup, "/uat open collections")
		Expect(reply).To(ContainSubstring("/uat open answers with a secret, so it works only in a private chat"))
		Expect(a.Outcome).To(Equal(telegram.AuditRefused))
		Expect(e.say(acmeGroup, "/uat@golive_test_bot open")).To(ContainSubstring("only in a private chat"))
		sessions, err := e.hub.UATSessions(context.Background(), "acme")
		Expect(err).NotTo(HaveOccurred())
		Expect(sessions).To(BeEmpty())
		Expect(e.say(acmeGroup, "/uat")).To(HavePrefix("You have no UAT sessions yet."), "listing holds no secret")
		for _, m := range e.srv.SentTo(acmeGroup.ID) {
			Expect(m.Text).NotTo(ContainSubstring("SECRET"))
		}
	})

	It("lists open sessions with their progress and recent ended ones with their verdict", func() {
		Expect(e.say(alice, "/uat")).To(And(HavePrefix("You have no UAT sessions yet."), ContainSubstring("/uat open [API ...] [deadline=2h]")))
		e.say(alice, "/uat open collections")
		Expect(e.say(alice, "/uat close uat0001")).To(HavePrefix("UAT session uat0001 is closed: NOT CERTIFIED."))
		e.say(alice, "/uat open payouts deadline=90m")
		e.hub.SetUATProgress("uat0002", 2, 1)
		Expect(e.say(alice, "/uat")).To(Equal("Open UAT sessions:\n" +
			"uat0002 (payouts): 2 of 3 cases played, 1 problem; ends 2026-03-01 11:30 UTC\n" +
			"  close it: /uat close uat0002\n\n" +
			"Recent UAT sessions:\n" +
			"uat0001 (collections): closed 2026-03-01 10:00 UTC, NOT CERTIFIED"))
		Expect(e.say(bob, "/uat")).To(HavePrefix("You have no UAT sessions yet."), "another partner's sessions are not listed")
	})

	It("closes the partner's own session only: another partner's id reads exactly like a missing one", func() {
		e.say(alice, "/uat open collections")
		foreign, a := uat(bob, "/uat close uat0001")
		Expect(foreign).To(Equal("No UAT session uat0001 found for you. Send /uat for your sessions."))
		Expect(a.Outcome).To(Equal(telegram.AuditNotFound))
		missing := e.say(bob, "/uat close uat9999")
		Expect(strings.ReplaceAll(foreign, "uat0001", "ID")).To(Equal(strings.ReplaceAll(missing, "uat9999", "ID")))
		Expect(e.say(alice, "/uat")).To(ContainSubstring("uat0001 (collections): 0 of 3 cases played, 0 problems"), "still open")

		Expect(e.say(alice, "/uat close uat0001")).To(Equal("UAT session uat0001 is closed: NOT CERTIFIED.\nIts report is sent to your chats."))
		Expect(e.hub.UATClosedFrom("uat0001")).To(Equal(telegram.ChatID(alice.ID)), "the hub is told which chat (so which user) asks")
		again, a := uat(alice, "/uat close uat0001")
		Expect(again).To(Equal("Not closed: the UAT session is already closed"))
		Expect(a.Outcome).To(Equal(telegram.AuditRefused))
	})

	It("words the hub's refusals for the partner", func() {
		reply, a := uat(alice, "/uat open collections deadline=soon")
		Expect(reply).To(HavePrefix(`Not opened: deadline "soon"`))
		Expect(a.Outcome).To(Equal(telegram.AuditRefused))
		Expect(e.say(bob, "/uat open payouts")).To(ContainSubstring("payouts is not one of your APIs"))
		e.hub.AddPartner(telegram.Partner{ID: "initech", Name: "Initech", APIs: []string{"kyc"}})
		carol := botapitest.PrivateChat(5005)
		e.link(carol, "initech")
		Expect(e.say(carol, "/uat open kyc")).To(HavePrefix(`Not opened: unknown API "kyc"`))
		Expect(e.say(carol, "/uat open")).To(HavePrefix("Not opened: none of your APIs"))
	})

	It("refuses staff chats, as the other partner commands", func() {
		e.link(staff, "")
		Expect(e.say(staff, "/uat")).To(ContainSubstring("acts on a partner, and this chat is linked to BAU staff"))
		Expect(e.say(staff, "/help")).NotTo(ContainSubstring("/uat"))
	})

	It("is in /help and behind a button of /apis", func() {
		Expect(e.say(alice, "/help")).To(ContainSubstring("/uat | /uat open [API ...] [deadline=2h] | /uat close ID — "))
		e.say(alice, "/apis")
		sent := e.srv.SentTo(alice.ID)
		Expect(sent[len(sent)-1].ReplyMarkup).To(ContainSubstring(`"callback_data":"/uat"`))
	})

	DescribeTable("bad arguments get the one-line usage",
		func(cmd, want string) {
			reply, a := uat(alice, cmd)
			Expect(reply).To(Equal("Usage: " + want))
			Expect(a.Outcome).To(Equal(telegram.AuditUsage))
		},
		Entry(nil, "/uat list", "/uat | /uat open [API ...] [deadline=2h] | /uat close ID"),
		Entry(nil, "/uat open collections deadline=", "/uat open [API ...] [deadline=2h]"),
		Entry(nil, "/uat open deadline=2h deadline=3h", "/uat open [API ...] [deadline=2h]"),
		Entry(nil, "/uat open collections until=2h", "/uat open [API ...] [deadline=2h]"),
		Entry(nil, "/uat open ../collections", "/uat open [API ...] [deadline=2h]"),
		Entry(nil, "/uat close", "/uat close ID"),
		Entry(nil, "/uat close a b", "/uat close ID"),
		Entry(nil, "/uat close ../../etc", "/uat close ID"),
	)
})

var _ = Describe("/uat safety", func() {
	It("never logs or audits a session's credentials", func() {
		logs := &testlog.Buffer{}
		e := startBot(func(c *telegram.Config) {
			c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
		e.link(alice, "acme")
		e.link(acmeGroup, "acme")
		Expect(e.say(alice, "/uat open collections deadline=1h")).To(ContainSubstring("uat-apikey-uat0001-SECRET"))
		e.say(acmeGroup, "/uat open")
		e.say(alice, "/uat")
		e.say(alice, "/uat close uat0001")
		Eventually(func() int { return len(e.hub.Audit()) }).Should(BeNumerically(">=", 6))
		for _, needle := range []string{"uat-apikey-uat0001-SECRET", "uat-checksum-uat0001-SECRET", "uat-client-uat0001", "SECRET"} {
			Expect(fmt.Sprint(e.hub.Audit())).NotTo(ContainSubstring(needle))
			Expect(logs.String()).NotTo(ContainSubstring(needle))
			for _, m := range e.srv.SentTo(acmeGroup.ID) {
				Expect(m.Text).NotTo(ContainSubstring(needle))
			}
		}
		Expect(logs.String()).To(ContainSubstring("action=/uat"))
	})
})
