package telegram

import (
	"context"
	"fmt"
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

	// serve runs workers over l; "slow" updates wait for release. It returns
	// the texts handled so far and the channel of texts as they start.
	serve := func(l *lanes, workers int) (handled func() []string, started chan string, release func()) {
		ctx, cancel := context.WithCancel(context.Background())
		gate := make(chan struct{})
		var once sync.Once
		release = func() { once.Do(func() { close(gate) }) }
		var mu sync.Mutex
		var done []string
		started = make(chan string, 100)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					chat, upd, ok := l.take(ctx)
					if !ok {
						return
					}
					started <- upd.Message.Text
					if upd.Message.Text[len(upd.Message.Text)-1] == '!' {
						<-gate // a slow command
					}
					mu.Lock()
					done = append(done, upd.Message.Text)
					mu.Unlock()
					l.done(chat)
				}
			}()
		}
		DeferCleanup(wg.Wait)
		DeferCleanup(cancel)
		DeferCleanup(release) // a failed spec still lets the slow worker go
		return func() []string {
			mu.Lock()
			defer mu.Unlock()
			return append([]string(nil), done...)
		}, started, release
	}

	It("keep one chat's order while another chat is served, and bound what is queued", func() {
		ctx := context.Background()
		l := newLanes(4)
		handled, started, release := serve(l, 3)

		Expect(l.put(ctx, msg(1, "a1!"))).To(BeTrue())
		Eventually(started).Should(Receive(Equal("a1!")))
		Expect(l.put(ctx, msg(1, "a2"))).To(BeTrue())
		Expect(l.put(ctx, msg(2, "b1"))).To(BeTrue())
		Eventually(handled).Should(ContainElement("b1"), "chat B is served while chat A's first command runs")
		Expect(l.put(ctx, msg(1, "a3"))).To(BeTrue())
		Consistently(handled, 50*time.Millisecond).ShouldNot(ContainElement("a2"), "a2 waits for a1, though workers are free")
		// b1 is listed as handled just before its worker gives its room
		// back; c1 is slow, so a free worker cannot hand its room back
		// before c2 is tried.
		Eventually(func() int { return len(l.room) }).Should(Equal(3), "a1, a2 and a3 hold the room; b1 gave its back")
		Expect(l.tryPut(msg(3, "c1!"))).To(BeTrue())
		Eventually(started).Should(Receive(Equal("c1!")))
		Expect(l.tryPut(msg(3, "c2"))).To(BeFalse(), "four queued (a1, a2, a3, c1): full")

		release()
		Eventually(handled).Should(HaveLen(5))
		var a []string
		for _, t := range handled() {
			if t[0] == 'a' {
				a = append(a, t)
			}
		}
		Expect(a).To(Equal([]string{"a1!", "a2", "a3"}))
	})

	It("drop what one chat sends beyond its share, so it never fills the queue other chats need", func() {
		ctx := context.Background()
		l := newLanes(64)
		handled, started, release := serve(l, 2)
		Expect(l.put(ctx, msg(1, "a0!"))).To(BeTrue())
		Eventually(started).Should(Receive(Equal("a0!")))
		for i := 1; i <= 20; i++ {
			Expect(l.put(ctx, msg(1, fmt.Sprintf("a%d", i)))).To(BeTrue())
		}
		Expect(l.tryPut(msg(2, "b1"))).To(BeTrue(), "another chat still gets in")
		Eventually(handled).Should(ContainElement("b1"))
		release()
		Eventually(handled).Should(HaveLen(1 + maxPerChat))
		Consistently(handled, 50*time.Millisecond).Should(HaveLen(1 + maxPerChat))
		Expect(handled()).To(ContainElements("a0!", "a1", fmt.Sprintf("a%d", maxPerChat-1)))
		Eventually(func() int { return len(l.room) }).Should(BeZero(), "every token given back, dropped ones too")
	})
})
