package telegram

import (
	"context"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Updates of one chat are handled in order, one at a time; other chats go
// on meanwhile. Workers here are the bot's: take, handle, done.
var _ = Describe("lanes", func() {
	msg := func(chat int64, text string) *models.Update {
		return &models.Update{Message: &models.Message{Text: text, Chat: models.Chat{ID: chat}}}
	}

	It("keep one chat's order while another chat is served, and bound what is queued", func() {
		ctx, cancel := context.WithCancel(context.Background())
		DeferCleanup(cancel)
		l := newLanes(4)
		release := make(chan struct{})
		var mu sync.Mutex
		var handled []string
		started := make(chan string, 10)
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					chat, upd, ok := l.take(ctx)
					if !ok {
						return
					}
					started <- upd.Message.Text
					if upd.Message.Text == "a1" {
						<-release // a slow first command in chat A
					}
					mu.Lock()
					handled = append(handled, upd.Message.Text)
					mu.Unlock()
					l.done(chat)
				}
			}()
		}
		var once sync.Once
		free := func() { once.Do(func() { close(release) }) }
		DeferCleanup(wg.Wait)
		DeferCleanup(cancel)
		DeferCleanup(free) // a failed spec still lets the slow worker go

		Expect(l.put(ctx, msg(1, "a1"))).To(BeTrue())
		Eventually(started).Should(Receive(Equal("a1")))
		Expect(l.put(ctx, msg(1, "a2"))).To(BeTrue())
		Expect(l.put(ctx, msg(2, "b1"))).To(BeTrue())
		Eventually(started).Should(Receive(Equal("b1")), "chat B is served while chat A's first command runs")
		Expect(l.put(ctx, msg(1, "a3"))).To(BeTrue())
		Consistently(started, 50*time.Millisecond).ShouldNot(Receive(), "a2 waits for a1, though workers are free")
		Expect(l.tryPut(msg(3, "c1"))).To(BeTrue())
		Expect(l.tryPut(msg(3, "c2"))).To(BeFalse(), "four queued (a1, a2, a3, c1): full")

		free()
		Eventually(func() []string {
			mu.Lock()
			defer mu.Unlock()
			return append([]string(nil), handled...)
		}).Should(HaveLen(5))
		mu.Lock()
		defer mu.Unlock()
		var a []string
		for _, t := range handled {
			if t[0] == 'a' {
				a = append(a, t)
			}
		}
		Expect(a).To(Equal([]string{"a1", "a2", "a3"}))
	})
})
