package runner_test

import (
	"context"
	"net"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/doctor"
	"github.com/golive-cert/golive/results"
)

// A target that answers in HTTP no client can read has a defect of its own
// making: integration, not a broken connection.
var _ = Describe("a malformed response header", func() {
	answer := func(head string) string {
		return hostileTCP(func(c net.Conn, _ <-chan struct{}) {
			if _, err := readRequestHead(c); err != nil {
				return
			}
			_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\n" + head + "Content-Type: application/json\r\nContent-Length: 28\r\nConnection: close\r\n\r\n" +
				`{"id":"abc","status":"DONE"}`))
		})
	}

	It("is the target's integration defect, saying what was malformed", func() {
		o := runHostile(answer("X-Trace: a\x01b\r\n"), false)
		o.expectBounded(results.Fail, results.Integration, "malformed")
	})

	It("is read the same by golive doctor", func() {
		rep, err := doctor.Probe(context.Background(), answer("X-Trace: a\x01b\r\n")+"/v1/things/abc", doctor.Options{})
		Expect(err).NotTo(HaveOccurred())
		http := rep.Layers[len(rep.Layers)-1]
		Expect(http.Name).To(Equal(doctor.LayerHTTP))
		Expect(http.Status).To(Equal(doctor.Fail))
		Expect(http.Summary).To(ContainSubstring("malformed HTTP"))
	})
})
