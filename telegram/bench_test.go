package telegram_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/golive-cert/golive/telegram"
	"github.com/golive-cert/golive/telegram/botapitest"
	"github.com/golive-cert/golive/telegram/hubfake"
	"github.com/golive-cert/golive/telegram/ratelimit"
)

// updatesPerRound is how many updates one benchmark round sends.
const updatesPerRound = 1000

// benchBot runs a bot against a local Bot API server, with chats linked
// straight in the fake hub so that only the measured updates go through
// the bot.
func benchBot(b *testing.B, chats int) (*botapitest.Server, []botapitest.Chat) {
	b.Helper()
	srv, err := botapitest.New(token)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	hub := hubfake.New(nil)
	hub.AddPartner(telegram.Partner{ID: "acme", Name: "Acme", APIs: []string{"collections"}, Endpoint: "https://staging.acme.example"})
	hub.AddTransaction("acme", telegram.Transaction{Ref: "ORDACME001", API: "collections", Status: "PROCESSING", Amount: "1500.00", Currency: "TZS"})
	var list []botapitest.Chat
	for i := range chats {
		c := botapitest.PrivateChat(int64(100000 + i))
		code := fmt.Sprint("bench-", i)
		hub.NewCode(code, telegram.RolePartner, "acme", time.Hour)
		if _, err := hub.Redeem(context.Background(), code, telegram.Chat{ID: telegram.ChatID(c.ID), Private: true}); err != nil {
			b.Fatal(err)
		}
		list = append(list, c)
	}
	bot, err := telegram.New(telegram.Config{Token: token, APIURL: srv.URL(), PollTimeout: 2 * time.Second,
		// Every round reuses the chats; the per-chat limit is not measured here.
		CommandLimit: ratelimit.Limit{Calls: 1 << 20, Per: time.Minute},
		Logger:       slog.New(slog.DiscardHandler)}, hub.Services(noFAQ{}))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bot.Run(ctx) }()
	b.Cleanup(func() {
		cancel()
		<-done
	})
	return srv, list
}

type noFAQ struct{}

func (noFAQ) Search(context.Context, []string, string, int) ([]telegram.FAQAnswer, error) {
	return nil, nil
}

// BenchmarkUpdateToReply: one update at a time, from injection into the
// local Bot API server to the bot's sendMessage reaching it (/status REF:
// link lookup, directory, sandbox, audit, reply).
func BenchmarkUpdateToReply(b *testing.B) {
	srv, chats := benchBot(b, updatesPerRound)
	ctx := context.Background()
	var lat []time.Duration
	sent := 0
	b.ResetTimer()
	for range b.N {
		for i := range updatesPerRound {
			start := time.Now()
			srv.Text(chats[i], "/status ORDACME001")
			sent++
			all, err := srv.WaitSent(ctx, sent)
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, all[sent-1].At.Sub(start))
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkThroughput: 1,000 updates from 1,000 chats injected at once;
// updates handled (answered) per second.
func BenchmarkThroughput(b *testing.B) {
	srv, chats := benchBot(b, updatesPerRound)
	ctx := context.Background()
	sent := 0
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		for i := range updatesPerRound {
			srv.Text(chats[i], "/status ORDACME001")
		}
		sent += updatesPerRound
		if _, err := srv.WaitSent(ctx, sent); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(sent)/total.Seconds(), "updates/s")
	b.ReportMetric(0, "ns/op")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
