package sandbox

import (
	"context"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// White-box checks of the callback sender's safety limits, which the
// black-box tests cannot observe from outside (a call that must never be
// made leaves no trace).
var _ = Describe("notifier", func() {
	DescribeTable("calls back only loopback hosts by default",
		func(rawURL string, allowed bool) {
			n := newNotifier(time.Second, false)
			DeferCleanup(n.close)
			Expect(n.mayCall(rawURL)).To(Equal(allowed))
			Expect(newNotifier(time.Second, true).mayCall(rawURL)).To(Equal(allowed || isAbsoluteHTTP(rawURL)),
				"WithAnyCallbackHost allows every http(s) URL")
		},
		Entry("IPv4 loopback", "http://127.0.0.1:8080/cb", true),
		Entry("anywhere in 127/8", "http://127.9.8.7/cb", true),
		Entry("IPv6 loopback", "http://[::1]:8080/cb", true),
		Entry("localhost", "http://localhost:8080/cb", true),
		Entry("LOCALHOST, https", "https://LOCALHOST/cb", true),
		Entry("a private address", "http://10.0.0.1/cb", false),
		Entry("a documentation address", "http://192.0.2.1:9/cb", false),
		Entry("a public name", "https://merchant.example/cb", false),
		Entry("a name that merely starts like loopback", "http://127.0.0.1.nip.io/cb", false),
		Entry("localhost as a subdomain", "http://localhost.merchant.example/cb", false),
		Entry("not http", "ftp://127.0.0.1/cb", false),
		Entry("relative", "/cb", false),
		Entry("empty", "", false),
	)

	It("refuses to connect to a non-loopback address even when a name led there", func() {
		Expect(loopbackOnly("tcp", "127.0.0.1:80", nil)).To(Succeed())
		Expect(loopbackOnly("tcp", "[::1]:80", nil)).To(Succeed())
		Expect(loopbackOnly("tcp", "10.1.2.3:80", nil)).To(MatchError(ContainSubstring("not a loopback address")))
		Expect(loopbackOnly("tcp", "[2001:db8::1]:443", nil)).To(HaveOccurred())
	})

	It("schedules nothing for an order whose callbackUrl is off loopback", func() {
		s, err := New(WithSettleAfter(time.Hour))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(s.Close)
		o := order{orderRequest: orderRequest{Amount: "1.00", Currency: "TZS", OrderReference: "ORD123456", PhoneNumber: "255712345678"}}
		o.CallbackURL = "http://192.0.2.1:9/cb"
		s.callBackWhenFinal(collectionEvents(), o)
		Expect(pendingCount(s.notifier)).To(BeZero())
		o.CallbackURL = "http://127.0.0.1:9/cb"
		s.callBackWhenFinal(collectionEvents(), o)
		Expect(pendingCount(s.notifier)).To(Equal(1))
	})

	It("keeps at most maxPendingCallbacks pending, and close releases them all", func() {
		n := newNotifier(time.Second, false)
		var ran atomic.Int32
		for range maxPendingCallbacks {
			Expect(n.after(time.Hour, func(context.Context) { ran.Add(1) })).To(BeTrue())
		}
		Expect(n.after(time.Hour, func(context.Context) { ran.Add(1) })).To(BeFalse(), "one too many")
		done := make(chan struct{})
		go func() { n.close(); close(done) }()
		Eventually(done).Should(BeClosed())
		Expect(ran.Load()).To(BeZero())
		Expect(n.after(0, func(context.Context) { ran.Add(1) })).To(BeFalse(), "nothing is scheduled after close")
	})

	It("runs a callback that fires while close is stopping the others exactly once or not at all", func() {
		for range 50 {
			n := newNotifier(time.Second, false)
			var ran atomic.Int32
			for range 20 {
				n.after(0, func(context.Context) { ran.Add(1) })
			}
			n.close()
			settled := ran.Load()
			Expect(settled).To(BeNumerically("<=", 20))
			Consistently(ran.Load).WithTimeout(20*time.Millisecond).Should(Equal(settled), "nothing runs after close returns")
		}
	})
})

func pendingCount(n *notifier) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.pending)
}

func isAbsoluteHTTP(raw string) bool {
	return callbackURLIssue(raw) == "" && raw != ""
}
