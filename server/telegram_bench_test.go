package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/telegram"
	"github.com/golive-cert/golive/telegram/botapitest"
	"github.com/golive-cert/golive/telegram/ratelimit"
)

// BenchmarkHubTelegram: the bot inside the hub (SQLite store), long polling
// the local Bot API server over loopback, answering /status REF from 1,000
// linked chats: link lookup in the store, the partner's sandbox, the audit
// row written, the reply. One update at a time (p50/p99 from injection to
// the reply reaching the Bot API server), then 1,000 at once (updates/s).
// go test -run '^$' -bench HubTelegram -benchtime 1x ./server/
func BenchmarkHubTelegram(b *testing.B) {
	const chats = 1000
	ctx := context.Background()
	st, admin := benchStore(b)
	pt, err := st.CreatePartner(ctx, store.PrincipalOf(admin), store.PartnerInput{Name: "Acme Pay"})
	if err != nil {
		b.Fatal(err)
	}
	api, err := botapitest.New(tgToken)
	if err != nil {
		b.Fatal(err)
	}
	defer api.Close()
	srv, err := server.New(ctx, server.Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Workers: 2, ScratchDir: b.TempDir(), SandboxOptions: []sandbox.Option{sandbox.WithSettleAfter(time.Hour)},
		Telegram: &telegram.Config{Token: tgToken, APIURL: api.URL(), PollTimeout: 2 * time.Second,
			CommandLimit: ratelimit.Limit{Calls: 1 << 20, Per: time.Minute}, Logger: slog.New(slog.DiscardHandler)}})
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	var list []botapitest.Chat
	for i := range chats {
		code, _, err := server.PartnerLinkCode(ctx, st, pt.ID)
		if err != nil {
			b.Fatal(err)
		}
		c := botapitest.PrivateChat(int64(700000 + i))
		if _, err := st.RedeemLinkCode(ctx, code, c.ID); err != nil {
			b.Fatal(err)
		}
		list = append(list, c)
	}
	sb, err := srv.PartnerSandbox(pt.ID)
	if err != nil {
		b.Fatal(err)
	}
	rc := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer rc.Close()
	benchOrder(b, sb, "ORDBENCH0001", rc.URL)

	sent := 0
	var lat []time.Duration
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		for i := range chats {
			start := time.Now()
			api.Text(list[i], "/status ORDBENCH0001")
			sent++
			all, err := api.WaitSent(ctx, sent)
			if err != nil {
				b.Fatal(err)
			}
			if !strings.Contains(all[sent-1].Text, "PROCESSING") {
				b.Fatalf("unexpected reply %q", all[sent-1].Text)
			}
			lat = append(lat, all[sent-1].At.Sub(start))
		}
		start := time.Now()
		for i := range chats {
			api.Text(list[i], "/status ORDBENCH0001")
		}
		sent += chats
		if _, err := api.WaitSent(ctx, sent); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(b.N*chats)/total.Seconds(), "updates/s")
	b.ReportMetric(0, "ns/op")
}

// benchOrder creates a collection in the sandbox, outside Ginkgo.
func benchOrder(b *testing.B, sb *sandbox.Sandbox, ref, callback string) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "http://sandbox/v1/token", nil)
	req.Header.Set("client-id", sandbox.DefaultClientID)
	req.Header.Set("api-key", sandbox.DefaultAPIKey)
	sb.ServeHTTP(rec, req)
	tok := strings.Split(strings.Split(rec.Body.String(), `"token":"`)[1], `"`)[0]
	body := fmt.Sprintf(`{"amount":"1500.00","currency":"TZS","orderReference":%q,"phoneNumber":"255712345678","callbackUrl":%q}`, ref, callback+"/cb")
	rec = httptest.NewRecorder()
	req = httptest.NewRequest(http.MethodPost, "http://sandbox/v1/collections/ussd-push", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	sb.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("order: %d %s", rec.Code, rec.Body)
	}
}
