package doctor_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/doctor"
)

var _ = Describe("golive doctor's TLS options", func() {
	It("verifies the certificate against ServerName instead of the URL's host", func() {
		ca := newTestCA()
		srv := tlsServer(ca.issue(time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "partner.internal"))
		url := "https://127.0.0.1:" + portOf(srv) + "/"

		rep := probe(url, doctor.Options{CAFile: ca.file()})
		Expect(layer(rep, "tls").Status).To(Equal(doctor.Fail))

		rep = probe(url, doctor.Options{CAFile: ca.file(), ServerName: "partner.internal"})
		Expect(layer(rep, "tls").Status).To(Equal(doctor.OK), layer(rep, "tls").Summary)
		Expect(layer(rep, "tls").TLS.ServerName).To(Equal("partner.internal"))
		Expect(layer(rep, "http").Status).To(Equal(doctor.OK), layer(rep, "http").Summary)
	})

	It("with InsecureSkipVerify, goes on past an untrusted certificate and says so", func() {
		ca := newTestCA()
		srv := tlsServer(ca.issue(time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "partner.internal"))
		rep := probe("https://127.0.0.1:"+portOf(srv)+"/", doctor.Options{InsecureSkipVerify: true})
		tlsLayer := layer(rep, "tls")
		Expect(tlsLayer.Status).To(Equal(doctor.OK))
		Expect(tlsLayer.Summary).To(ContainSubstring("NOT verified"))
		Expect(tlsLayer.TLS.ChainValid).To(BeFalse())
		Expect(layer(rep, "http").Status).To(Equal(doctor.OK), layer(rep, "http").Summary)
		Expect(strings.Join(rep.Notes, "\n")).To(ContainSubstring("WARNING: certificate verification is skipped"))
	})
})
